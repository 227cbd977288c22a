// Fault injection from VirtualService `fault`: the seeds' 10 % abort (500) and 50 % delay, with
// counts checked against binomial bounds, flags DI/FI in the access log, and the fault applied
// before the request is routed upstream.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Proxy } from '../../src/proxy/index.ts';
import { serviceYaml, startApp, stat, TestMesh, viaSidecar } from './fixtures/mesh.ts';
import type { Pod, Reply } from './fixtures/mesh.ts';

const networking = (file: string) =>
  readFileSync(new URL(`../../samples/bookinfo/networking/${file}`, import.meta.url), 'utf8');

let mesh: TestMesh;
let client: Pod;
let clientProxy: Proxy;
let served = 0;
const faultStat = (name: string) => stat(clientProxy, `http.outbound_${client.ip}_15001.fault.${name}`);

before(async () => {
  mesh = await TestMesh.start(`${serviceYaml('productpage', 9080)}${serviceYaml('reviews', 9080)}`);
  client = mesh.addPod('productpage-1', { app: 'productpage' }, [9080]);
  const reviews = mesh.addPod('reviews-1', { app: 'reviews' }, [9080]);
  await startApp(mesh, reviews, 9080, (_req, res) => {
    served++;
    res.end('reviews');
  });
  [clientProxy] = await Promise.all([
    mesh.sidecar(client, { app: 'productpage' }),
    mesh.sidecar(reviews, { app: 'reviews' }),
  ]);
});

after(() => mesh?.close());

/** `n` requests, `parallel` at a time. */
async function many(n: number, parallel: number): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i += parallel)
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(parallel, n - i) }, () => viaSidecar(client, 'http://reviews:9080/')),
      )),
    );
  return out;
}

function faultVs(fault: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
    - fault:
${fault.replace(/^/gm, '        ')}
      route:
        - destination:
            host: reviews
`;
}

test('seed: 10 % of requests answered 500 (400 requests, binomial bounds)', async () => {
  await mesh.apply(networking('virtual-service-reviews-fault-abort-10.yaml'));
  await mesh.converged();
  const servedBefore = served;
  const replies = await many(400, 10);
  const aborted = replies.filter((r) => r.status === 500);
  // Binomial(400, 0.1): mean 40, sd 6; ±4.5 sd.
  assert.ok(aborted.length >= 13 && aborted.length <= 67, `${aborted.length} of 400 aborted`);
  assert.equal(replies.filter((r) => r.status === 200).length, 400 - aborted.length);
  for (const r of aborted) assert.equal(r.body, 'fault filter abort');
  assert.equal(faultStat('aborts_injected'), aborted.length);
  // Aborted requests never reached the upstream.
  assert.equal(served - servedBefore, 400 - aborted.length);
  const lines = await mesh.logLines(`${client.ip}:15001`, 400);
  assert.equal(lines.filter((l) => / 500 FI fault_filter_abort /.test(l)).length, aborted.length);
});

test('50 % of requests delayed (short delay, 200 requests, binomial bounds)', async () => {
  await mesh.apply(faultVs('delay:\n  percentage:\n    value: 50\n  fixedDelay: 60ms'));
  await mesh.converged();
  const before = faultStat('delays_injected');
  const logged = (await mesh.logLines(`${client.ip}:15001`, 0)).length;
  const replies = await many(200, 25);
  assert.ok(replies.every((r) => r.status === 200));
  const lines = (await mesh.logLines(`${client.ip}:15001`, logged + 200)).slice(logged);
  const delayed = lines.filter((l) => /" 200 DI /.test(l)).length;
  // Binomial(200, 0.5): sd ≈ 7; ±4.5 sd.
  assert.ok(delayed >= 68 && delayed <= 132, `${delayed} of 200 delayed`);
  assert.equal(faultStat('delays_injected') - before, delayed);
  // Every delayed request took at least the delay.
  assert.ok(replies.filter((r) => r.ms >= 59).length >= delayed);
});

test('seed: 50 % of requests delayed 5 s', async () => {
  await mesh.apply(networking('virtual-service-reviews-fault-delay-50.yaml'));
  await mesh.converged();
  const before = faultStat('delays_injected');
  const logged = (await mesh.logLines(`${client.ip}:15001`, 0)).length;
  const replies = await many(8, 8);
  const delayed = replies.filter((r) => r.ms >= 4950);
  for (const r of replies) {
    assert.equal(r.status, 200);
    assert.ok(r.ms < 1000 || (r.ms >= 4950 && r.ms < 6500), `answered after ${Math.round(r.ms)} ms`);
  }
  assert.equal(faultStat('delays_injected') - before, delayed.length);
  const lines = (await mesh.logLines(`${client.ip}:15001`, logged + 8)).slice(logged);
  assert.equal(lines.filter((l) => /" 200 DI /.test(l)).length, delayed.length);
});

test('aborts are answered before routing: no upstream request, no upstream cluster stats', async () => {
  await mesh.apply(faultVs('abort:\n  percentage:\n    value: 100\n  httpStatus: 418'));
  await mesh.converged();
  const servedBefore = served;
  const cluster = 'cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_total';
  const totalBefore = stat(clientProxy, cluster);
  const r = await viaSidecar(client, 'http://reviews:9080/');
  assert.equal(r.status, 418);
  assert.equal(r.body, 'fault filter abort');
  assert.equal(served, servedBefore);
  assert.equal(stat(clientProxy, cluster), totalBefore);
});

test('a gRPC abort answers with grpc-status', async () => {
  await mesh.apply(faultVs('abort:\n  percentage:\n    value: 100\n  grpcStatus: UNAVAILABLE'));
  await mesh.converged();
  const r = await viaSidecar(client, 'http://reviews:9080/', {
    headers: { 'content-type': 'application/grpc' },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers['grpc-status'], '14');
  assert.equal(r.headers['grpc-message'], 'fault filter abort');
});

test('a delay then an abort: both flags', async () => {
  await mesh.apply(
    faultVs(
      'delay:\n  percentage:\n    value: 100\n  fixedDelay: 50ms\nabort:\n  percentage:\n    value: 100\n  httpStatus: 503',
    ),
  );
  await mesh.converged();
  const logged = (await mesh.logLines(`${client.ip}:15001`, 0)).length;
  const r = await viaSidecar(client, 'http://reviews:9080/');
  assert.equal(r.status, 503);
  assert.ok(r.ms >= 48, `${r.ms}`);
  const [line] = (await mesh.logLines(`${client.ip}:15001`, logged + 1)).slice(logged);
  assert.match(line!, /" 503 DI,FI fault_filter_abort /);
});
