// Retries and timeouts from VirtualService `retries` / `timeout` (and the x-envoy-* request headers
// trusted callers may send), checked through a client sidecar against apps that fail on purpose.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, test } from 'node:test';
import type { Proxy } from '../../src/proxy/index.ts';
import { serviceYaml, startApp, stat, TestMesh, viaSidecar } from './fixtures/mesh.ts';
import type { Pod } from './fixtures/mesh.ts';

const FLAKY = 'cluster.outbound|80||flaky.default.svc.cluster.local';
const TWO = 'cluster.outbound|80||two.default.svc.cluster.local';

const GATEWAY = `apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  ports:
    - name: http2
      port: 80
      targetPort: 8080
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  selector:
    istio: ingressgateway
  servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: edge
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route:
        - destination:
            host: flaky
`;

let mesh: TestMesh;
let client: Pod;
let gateway: Pod;
let clientProxy: Proxy;
/** Requests seen by the flaky app: attempt count header, body, and which try of its id it was. */
const seen: { url: string; attempt: string | undefined; body: string }[] = [];
const tries = new Map<string, number>();
/** Answers of the two-pod service's pods by pod. */
const twoHits = { bad: 0, good: 0 };

function flaky(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push({
    url: url.pathname,
    attempt: req.headers['x-envoy-attempt-count'] as string | undefined,
    body: body.toString(),
  });
  const id = url.searchParams.get('id') ?? '';
  const n = (tries.get(id) ?? 0) + 1;
  tries.set(id, n);
  const failures = Number(url.searchParams.get('fail') ?? 0);
  const failing = n <= failures;
  const [, kind, arg] = url.pathname.split('/');
  const ms = Number(arg ?? 0);
  switch (kind) {
    case 'status':
      res.writeHead(failing ? ms : 200).end();
      return;
    case 'reset':
      if (failing) req.socket.destroy();
      else res.end('ok');
      return;
    case 'grpc':
      res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': failing ? '14' : '0' }).end();
      return;
    case 'midbody':
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    case 'slow':
      // Failing tries are slow (`arg` ms); the others answer at once.
      if (failing) setTimeout(() => res.end('slow'), ms);
      else res.end('fast');
      return;
    case 'fail-then-slow':
      if (n === 1) res.writeHead(503).end();
      else setTimeout(() => res.end('slow success'), ms);
      return;
    default:
      res.end('ok');
  }
}

before(async () => {
  mesh = await TestMesh.start(
    `${serviceYaml('sleep', 80)}${serviceYaml('flaky', 80)}${serviceYaml('two', 80)}${serviceYaml('nothing', 80)}${GATEWAY}`,
  );
  client = mesh.addPod('sleep-1', { app: 'sleep' }, [80]);
  const app = mesh.addPod('flaky-1', { app: 'flaky' }, [80]);
  const bad = mesh.addPod('two-bad', { app: 'two' }, [80]);
  const good = mesh.addPod('two-good', { app: 'two' }, [80]);
  mesh.addPod('nothing-1', { app: 'nothing' }, [80]);
  gateway = mesh.addPod('istio-ingressgateway-1', { istio: 'ingressgateway' }, [8080], 'istio-system');
  await startApp(mesh, app, 80, flaky);
  await startApp(mesh, bad, 80, (_q, res) => {
    twoHits.bad++;
    res.writeHead(503).end();
  });
  await startApp(mesh, good, 80, (_q, res) => {
    twoHits.good++;
    res.end('good');
  });
  [clientProxy] = await Promise.all([
    mesh.sidecar(client, { app: 'sleep' }),
    mesh.sidecar(app, { app: 'flaky' }),
    mesh.sidecar(bad, { app: 'two' }),
    mesh.sidecar(good, { app: 'two' }),
    mesh.gateway(gateway, { istio: 'ingressgateway' }, 8080),
  ]);
});

after(() => mesh?.close());

function vs(host: string, http: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${host}
spec:
  hosts: [${host}]
  http:
    - route:
        - destination:
            host: ${host}
${http.replace(/^/gm, '      ')}
`;
}

async function configure(yaml: string): Promise<void> {
  await mesh.apply(yaml);
  await mesh.converged();
}

const s = (name: string) => stat(clientProxy, `${FLAKY}.${name}`);
let ids = 0;
const id = () => `r${++ids}`;

test('Istio default policy: 503 is retried twice (retriable-status-codes), with x-envoy-attempt-count upstream', async () => {
  const before = s('upstream_rq_retry');
  seen.length = 0;
  const r = await viaSidecar(client, `http://flaky/status/503?fail=2&id=${id()}`);
  assert.equal(r.status, 200);
  assert.equal(s('upstream_rq_retry') - before, 2);
  assert.deepEqual(
    seen.map((x) => x.attempt),
    ['1', '2', '3'],
  );
  assert.equal(r.headers['x-envoy-attempt-count'], undefined);
});

test('retryOn 5xx: attempts, success counted, limit exceeded flagged URX', async () => {
  await configure(vs('flaky', 'retries:\n  attempts: 3\n  retryOn: 5xx'));
  const success = s('upstream_rq_retry_success');
  const ok = await viaSidecar(client, `http://flaky/status/500?fail=3&id=${id()}`);
  assert.equal(ok.status, 200);
  assert.equal(s('upstream_rq_retry_success') - success, 1);
  const exceeded = s('upstream_rq_retry_limit_exceeded');
  const failedId = id();
  const failed = await viaSidecar(client, `http://flaky/status/500?fail=9&id=${failedId}`);
  assert.equal(failed.status, 500);
  assert.equal(s('upstream_rq_retry_limit_exceeded') - exceeded, 1);
  // Found by its id: access-log lines are written after their responses, so counting lines
  // right after the previous request could still miss that request's line.
  const [line] = await mesh.logLines(`${client.ip}:15001`, 1, `id=${failedId} HTTP`);
  assert.match(line!, /" 500 URX /);
});

test('retryOn with status codes, reset and gRPC conditions', async () => {
  await configure(vs('flaky', 'retries:\n  attempts: 2\n  retryOn: "418,reset,unavailable"'));
  const teapot = await viaSidecar(client, `http://flaky/status/418?fail=2&id=${id()}`);
  assert.equal(teapot.status, 200, teapot.body);
  assert.equal((await viaSidecar(client, `http://flaky/status/500?fail=1&id=${id()}`)).status, 500);
  // The app's reset reaches this client as the inbound sidecar's 503 (as in Istio): "reset" does not
  // retry a response.
  const reset = await viaSidecar(client, `http://flaky/reset?fail=2&id=${id()}`);
  assert.equal(reset.status, 503);
  assert.match(reset.body, /reset reason: connection termination$/);
  const grpc = await viaSidecar(client, `http://flaky/grpc?fail=1&id=${id()}`);
  assert.equal(grpc.headers['grpc-status'], '0');
});

test('the request body is replayed on each attempt', async () => {
  await configure(vs('flaky', 'retries:\n  attempts: 2\n  retryOn: 5xx'));
  seen.length = 0;
  const r = await viaSidecar(client, `http://flaky/status/503?fail=1&id=${id()}`, {
    method: 'POST',
    body: 'the body',
  });
  assert.equal(r.status, 200);
  assert.deepEqual(
    seen.map((x) => x.body),
    ['the body', 'the body'],
  );
});

test('a body over the buffer limit is not retried', async () => {
  const before = s('upstream_rq_retry');
  seen.length = 0;
  const big = 'x'.repeat(1536 * 1024);
  const r = await viaSidecar(client, `http://flaky/status/503?fail=1&id=${id()}`, {
    method: 'POST',
    body: big,
  });
  assert.equal(r.status, 503);
  assert.equal(s('upstream_rq_retry'), before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.body.length, big.length);
});

test('no retry once the response started', async () => {
  const before = s('upstream_rq_retry');
  await assert.rejects(viaSidecar(client, `http://flaky/midbody?id=${id()}`));
  assert.equal(s('upstream_rq_retry'), before);
});

test('connect failures are retried, then answered 503 UF with URX', async () => {
  const r = await viaSidecar(client, 'http://nothing/?id=connect-failure');
  assert.equal(r.status, 503);
  assert.match(
    r.body,
    /^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/,
  );
  const nothing = 'cluster.outbound|80||nothing.default.svc.cluster.local';
  assert.equal(stat(clientProxy, `${nothing}.upstream_rq_retry`), 2);
  assert.equal(stat(clientProxy, `${nothing}.upstream_cx_connect_fail`), 3);
  assert.equal(stat(clientProxy, `${nothing}.upstream_rq_pending_failure_eject`), 3);
  const [line] = await mesh.logLines(`${client.ip}:15001`, 1, 'id=connect-failure');
  assert.match(line!, /" 503 UF,URX /);
});

test('retries avoid the hosts already tried (previous_hosts)', async () => {
  await configure(
    vs('two', 'retries:\n  attempts: 1\n  retryOn: 5xx') +
      '---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: two\nspec:\n  host: two\n  trafficPolicy:\n    loadBalancer:\n      simple: RANDOM\n',
  );
  let failures = 0;
  for (let i = 0; i < 20; i++) if ((await viaSidecar(client, 'http://two/')).status !== 200) failures++;
  // Without the predicate half the retries would land on the failing pod again (≈ 5 of 20).
  assert.ok(failures <= 3, `${failures} of 20 failed`);
  assert.ok(stat(clientProxy, `${TWO}.upstream_rq_retry`) >= 1);
  assert.ok(twoHits.bad >= 1 && twoHits.good === 20 - failures);
});

test('max_retries: a retry over the circuit breaker is not made (upstream_rq_retry_overflow, UO)', async () => {
  await configure(
    vs('flaky', 'retries:\n  attempts: 2\n  retryOn: 5xx') +
      '---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: flaky\nspec:\n  host: flaky\n  trafficPolicy:\n    connectionPool:\n      http:\n        maxRetries: 1\n',
  );
  seen.length = 0;
  const first = viaSidecar(client, `http://flaky/fail-then-slow/300?id=${id()}`);
  await mesh.until(() => seen.length === 2, 'the first request retried');
  const overflow = s('upstream_rq_retry_overflow');
  const logged = (await mesh.logLines(`${client.ip}:15001`, 0)).length;
  const second = await viaSidecar(client, `http://flaky/fail-then-slow/300?id=${id()}`);
  assert.equal(second.status, 503);
  assert.equal(s('upstream_rq_retry_overflow') - overflow, 1);
  const [line] = (await mesh.logLines(`${client.ip}:15001`, logged + 1)).slice(logged);
  assert.match(line!, /" 503 UO /);
  assert.equal((await first).status, 200);
});

test('route timeout: 504 "upstream request timeout" with UT after the timeout', async () => {
  await configure(vs('flaky', 'timeout: 200ms\nretries:\n  attempts: 0'));
  const before = s('upstream_rq_timeout');
  const r = await viaSidecar(client, `http://flaky/slow/1000?fail=1&id=${id()}`);
  assert.equal(r.status, 504);
  assert.equal(r.body, 'upstream request timeout');
  assert.ok(r.ms >= 195 && r.ms < 900, `${r.ms} ms`);
  assert.equal(s('upstream_rq_timeout') - before, 1);
});

test('per-try timeout: a slow try is abandoned and retried; the route timeout bounds all tries', async () => {
  await configure(
    vs('flaky', 'timeout: 400ms\nretries:\n  attempts: 5\n  perTryTimeout: 100ms\n  retryOn: 5xx'),
  );
  const perTry = s('upstream_rq_per_try_timeout');
  const r = await viaSidecar(client, `http://flaky/slow/1000?fail=1&id=${id()}`);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'fast');
  assert.ok(r.ms >= 95 && r.ms < 390, `${r.ms} ms`);
  assert.equal(s('upstream_rq_per_try_timeout') - perTry, 1);
  const bounded = await viaSidecar(client, `http://flaky/slow/1000?fail=99&id=${id()}`);
  assert.equal(bounded.status, 504);
  assert.ok(bounded.ms >= 395 && bounded.ms < 900, `${bounded.ms} ms`);
});

test('per-try timeout without a matching retryOn: 504 UT after one try', async () => {
  await configure(vs('flaky', 'retries:\n  attempts: 2\n  perTryTimeout: 100ms\n  retryOn: retriable-4xx'));
  const r = await viaSidecar(client, `http://flaky/slow/1000?fail=1&id=${id()}`);
  assert.equal(r.status, 504, `${r.body} after ${r.ms} ms`);
  assert.equal(r.body, 'upstream request timeout');
  assert.ok(r.ms < 600, `${r.ms} ms`);
});

test('x-envoy-upstream-rq-timeout-ms is honoured from a sidecar client but not at the edge', async () => {
  await configure(vs('flaky', 'retries:\n  attempts: 0'));
  const headers = { 'x-envoy-upstream-rq-timeout-ms': '150' };
  const inside = await viaSidecar(client, `http://flaky/slow/400?fail=1&id=${id()}`, { headers });
  assert.equal(inside.status, 504);
  assert.ok(inside.ms >= 145 && inside.ms < 390, `${inside.ms} ms`);
  const perTry = await viaSidecar(client, `http://flaky/slow/400?fail=1&id=${id()}`, {
    headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '100' },
  });
  assert.equal(perTry.status, 504);
  assert.ok(perTry.ms < 390, `${perTry.ms} ms`);
  const edge = await viaSidecar(gateway, `http://anything/slow/400?fail=1&id=${id()}`, {
    headers,
    port: 8080,
  });
  assert.equal(edge.status, 200, edge.body);
  assert.equal(edge.body, 'slow');
});

test('connectionPool.http.idleTimeout closes idle upstream connections', async () => {
  await configure(
    vs('flaky', 'retries:\n  attempts: 0') +
      '---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: flaky\nspec:\n  host: flaky\n  trafficPolicy:\n    connectionPool:\n      http:\n        idleTimeout: 150ms\n',
  );
  assert.equal((await viaSidecar(client, `http://flaky/?id=${id()}`)).status, 200);
  assert.equal(s('upstream_cx_active'), 1);
  const destroyed = s('upstream_cx_destroy');
  const idleSince = performance.now();
  await mesh.until(() => s('upstream_cx_active') === 0, 'the idle connection closed');
  assert.ok(performance.now() - idleSince >= 100, `closed after ${performance.now() - idleSince} ms`);
  assert.equal(s('upstream_cx_destroy') - destroyed, 1);
});

test("gRPC requests: the route reads grpc-timeout (Istio's max_grpc_timeout 0s: no cap)", async () => {
  await configure(vs('flaky', 'retries:\n  attempts: 0'));
  const timeouts = s('upstream_rq_timeout');
  const r = await viaSidecar(client, `http://flaky/slow/1000?fail=1&id=${id()}`, {
    headers: { 'content-type': 'application/grpc', 'grpc-timeout': '120m' },
  });
  assert.ok(r.ms >= 115 && r.ms < 700, `${r.ms} ms`);
  assert.equal(s('upstream_rq_timeout') - timeouts, 1);
});
