// Circuit breaking from a DestinationRule's connectionPool: the seed's httpbin exercise under
// `caravel load` (fortio's -c 2 / -c 3 runs), and Envoy's exact HTTP/1 pool accounting.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { start as startHttpbin } from '../../samples/httpbin/src/httpbin.ts';
import { loadOptions, runLoad } from '../../src/loadgen/index.ts';
import type { LoadResult } from '../../src/loadgen/index.ts';
import type { Proxy } from '../../src/proxy/index.ts';
import { serviceYaml, startApp, stat, TestMesh, viaSidecar } from './fixtures/mesh.ts';
import type { Pod } from './fixtures/mesh.ts';

const sample = (file: string) =>
  readFileSync(new URL(`../../samples/httpbin/${file}`, import.meta.url), 'utf8');
const HTTPBIN = 'cluster.outbound|8000||httpbin.default.svc.cluster.local';
const SLOW = 'cluster.outbound|80||slow.default.svc.cluster.local';

const SLOW_RULE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: slow
spec:
  host: slow
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
`;

let mesh: TestMesh;
let client: Pod;
let clientProxy: Proxy;
/** Requests the slow app holds until released. */
const held: (() => void)[] = [];
/** The 503 share of the -c 2 run. */
let shareAtTwo = 0;

before(async () => {
  mesh = await TestMesh.start(
    `${sample('httpbin.yaml')}\n---\n${sample('destination-rule-circuit-breaker.yaml')}\n---\n` +
      `${serviceYaml('fortio', 8080)}${serviceYaml('slow', 80)}${SLOW_RULE}`,
  );
  client = mesh.addPod('fortio-1', { app: 'fortio' }, [8080]);
  const httpbin = mesh.addPod('httpbin-1', { app: 'httpbin', version: 'v1' }, [80]);
  const slow = mesh.addPod('slow-1', { app: 'slow' }, [80]);
  const app = await startHttpbin({ env: { HOST: httpbin.appAddress, PORT: '80', POD_NAME: httpbin.name } });
  mesh.onClose(() => app.close());
  await startApp(mesh, slow, 80, (_req, res) => {
    held.push(() => res.end('done'));
  });
  [clientProxy] = await Promise.all([
    mesh.sidecar(client, { app: 'fortio' }),
    mesh.sidecar(httpbin, { app: 'httpbin', version: 'v1' }),
    mesh.sidecar(slow, { app: 'slow' }),
  ]);
});

after(() => mesh?.close());

async function load(connections: number, calls: number): Promise<LoadResult> {
  const options = loadOptions(
    [
      '-c',
      String(connections),
      '-qps',
      '0',
      '-n',
      String(calls),
      '-loglevel',
      'Warning',
      'http://httpbin:8000/get',
    ],
    { cwd: process.cwd() },
  );
  return runLoad(options, { env: { HTTP_PROXY: client.httpProxy }, userAgent: 'fortio.org/fortio-1.x' });
}

test('seed: fortio -c 2 -qps 0 -n 20 against httpbin shows a mix of 200 and 503', async () => {
  const overflowBefore = stat(clientProxy, `${HTTPBIN}.upstream_rq_pending_overflow`);
  const result = await load(2, 20);
  const ok = result.codes.get(200) ?? 0;
  const overflow = result.codes.get(503) ?? 0;
  assert.equal(ok + overflow, 20, JSON.stringify([...result.codes]));
  assert.ok(ok >= 5, `${ok} × 200`);
  assert.ok(overflow >= 1, `${overflow} × 503`);
  // Every 503 is the pool's overflow, counted where Envoy counts it and flagged UO in the log.
  assert.equal(stat(clientProxy, `${HTTPBIN}.upstream_rq_pending_overflow`) - overflowBefore, overflow);
  const lines = await mesh.logLines(`${client.ip}:15001`, 20);
  const uo = lines.filter((l) => / 503 UO upstream_reset_before_response_started\{overflow\} /.test(l));
  assert.equal(uo.length, overflow);
  // maxRequestsPerConnection 1: every request had its own upstream connection.
  assert.equal(stat(clientProxy, `${HTTPBIN}.upstream_cx_total`), ok);
  shareAtTwo = overflow / 20;
});

test('seed: fortio -c 3 shows more 503s than -c 2', async () => {
  const result = await load(3, 30);
  const ok = result.codes.get(200) ?? 0;
  const overflow = result.codes.get(503) ?? 0;
  assert.equal(ok + overflow, 30);
  assert.ok(ok >= 1 && overflow >= 3, JSON.stringify([...result.codes]));
  assert.ok(overflow / 30 > shareAtTwo, `${overflow} of 30 vs a share of ${shareAtTwo} at -c 2`);
});

test('one connection and one pending request: the third concurrent request overflows at once', async () => {
  const first = viaSidecar(client, 'http://slow/');
  await mesh.until(() => held.length === 1, 'the first request at the app');
  const second = viaSidecar(client, 'http://slow/');
  await mesh.until(
    () => stat(clientProxy, `${SLOW}.upstream_rq_pending_active`) === 1,
    'one pending request',
  );
  // What the seed's `pilot-agent request GET stats | grep pending` shows while the pool is full.
  assert.equal(stat(clientProxy, `${SLOW}.circuit_breakers.default.rq_pending_open`), 1);
  assert.equal(stat(clientProxy, `${SLOW}.circuit_breakers.default.remaining_pending`), 0);
  assert.equal(stat(clientProxy, `${SLOW}.circuit_breakers.default.cx_open`), 1);
  const third = await viaSidecar(client, 'http://slow/');
  assert.equal(third.status, 503);
  assert.equal(
    third.body,
    'upstream connect error or disconnect/reset before headers. reset reason: overflow',
  );
  assert.ok(third.ms < 200, `overflow answered after ${third.ms} ms`);
  assert.equal(stat(clientProxy, `${SLOW}.upstream_rq_pending_overflow`), 1);
  assert.equal(stat(clientProxy, `${SLOW}.upstream_cx_overflow`), 1);
  held.shift()!();
  assert.equal((await first).status, 200);
  await mesh.until(() => held.length === 1, 'the pending request reached the app on the freed connection');
  held.shift()!();
  assert.equal((await second).status, 200);
  assert.equal(stat(clientProxy, `${SLOW}.upstream_cx_total`), 1);
  assert.equal(stat(clientProxy, `${SLOW}.circuit_breakers.default.rq_pending_open`), 0);
  assert.equal(stat(clientProxy, `${SLOW}.circuit_breakers.default.remaining_pending`), 1);
  assert.equal(stat(clientProxy, `${SLOW}.circuit_breakers.default.remaining_rq`), 4294967295);
});
