// Outlier detection from a DestinationRule: consecutive gateway errors / 5xx / local-origin
// failures eject a host at once, for baseEjectionTime × its number of ejections; maxEjectionPercent
// caps ejections; below minHealthPercent the load balancer panics and uses every host.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Proxy } from '../../src/proxy/index.ts';
import { serviceYaml, startApp, stat, TestMesh, viaSidecar } from './fixtures/mesh.ts';
import type { Pod } from './fixtures/mesh.ts';

const OD = 'cluster.outbound|80||od.default.svc.cluster.local';
const LO = 'cluster.outbound|80||lo.default.svc.cluster.local';

let mesh: TestMesh;
let client: Pod;
let clientProxy: Proxy;
/** Status each od pod answers, and the requests each received. */
const status: Record<string, number> = { a: 200, b: 200, c: 200 };
const hits: Record<string, number> = { a: 0, b: 0, c: 0, good: 0 };

function rules(od: string, lo = ''): string {
  const noRetries = (host: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${host}
spec:
  hosts: [${host}]
  http:
    - route:
        - destination:
            host: ${host}
      retries:
        attempts: 0
---
`;
  const dr = (host: string, outlier: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${host}
spec:
  host: ${host}
  trafficPolicy:
    outlierDetection:
${outlier.replace(/^/gm, '      ')}
---
`;
  return noRetries('od') + noRetries('lo') + dr('od', od) + (lo ? dr('lo', lo) : '');
}

before(async () => {
  mesh = await TestMesh.start(
    serviceYaml('sleep', 80) +
      serviceYaml('od', 80) +
      serviceYaml('lo', 80) +
      rules('consecutiveGatewayErrors: 2\ninterval: 50ms\nbaseEjectionTime: 400ms\nmaxEjectionPercent: 50'),
  );
  client = mesh.addPod('sleep-1', { app: 'sleep' }, [80]);
  const pods = ['a', 'b', 'c'].map((k) => [k, mesh.addPod(`od-${k}`, { app: 'od' }, [80])] as const);
  const good = mesh.addPod('lo-good', { app: 'lo' }, [80]);
  // lo-gone has no sidecar and no app: connecting to it fails (a local-origin failure).
  mesh.addPod('lo-gone', { app: 'lo' }, [80]);
  for (const [k, pod] of pods)
    await startApp(mesh, pod, 80, (_q, res) => {
      hits[k]!++;
      res.writeHead(status[k]!).end();
    });
  await startApp(mesh, good, 80, (_q, res) => {
    hits.good!++;
    res.end();
  });
  [clientProxy] = await Promise.all([
    mesh.sidecar(client, { app: 'sleep' }),
    ...pods.map(([, pod]) => mesh.sidecar(pod, { app: 'od' })),
    mesh.sidecar(good, { app: 'lo' }),
  ]);
});

after(() => mesh?.close());

const od = (name: string) => stat(clientProxy, `${OD}.outlier_detection.${name}`);

async function send(n: number, host = 'od'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await viaSidecar(client, `http://${host}/`)).status);
  return out;
}

test('consecutive gateway errors eject the host at once; it returns after baseEjectionTime', async () => {
  status.b = 502;
  // The ejection happens during these requests: measuring from before them bounds its time from below.
  const sentAt = performance.now();
  await send(6);
  assert.equal(od('ejections_enforced_consecutive_gateway_failure'), 1);
  assert.equal(od('ejections_active'), 1);
  const before = hits.b!;
  assert.deepEqual(await send(10), Array(10).fill(200));
  assert.equal(hits.b, before, 'no traffic to the ejected host');
  // Back at the first sweep after 400 ms.
  await mesh.until(() => od('ejections_active') === 0, 'the host back');
  assert.ok(performance.now() - sentAt >= 400, `back after ${performance.now() - sentAt} ms`);
  status.b = 200;
  await send(6);
  assert.ok(hits.b! > before, 'the host serves again');
});

test('a second ejection lasts twice as long', async () => {
  status.b = 503;
  const sentAt = performance.now();
  await send(6);
  assert.equal(od('ejections_enforced_consecutive_gateway_failure'), 2);
  await mesh.until(() => od('ejections_active') === 0, 'the host back', 3000);
  assert.ok(performance.now() - sentAt >= 800, `back after ${performance.now() - sentAt} ms`);
  status.b = 200;
});

test('maxEjectionPercent caps the ejected share of hosts', async () => {
  status.a = 502;
  status.c = 502;
  const overflow = od('ejections_overflow');
  await send(12);
  assert.equal(od('ejections_active'), 1, 'one of three hosts (33 %) fits under 50 %, two (67 %) do not');
  assert.ok(od('ejections_overflow') > overflow);
  status.a = 200;
  status.c = 200;
  await mesh.until(() => od('ejections_active') === 0, 'hosts back', 3000);
});

test('consecutive 5xx (500) with minHealthPercent: below it, traffic goes to every host (panic)', async () => {
  await mesh.apply(
    rules(
      'consecutive5xxErrors: 2\ninterval: 50ms\nbaseEjectionTime: 10s\nmaxEjectionPercent: 100\nminHealthPercent: 80',
    ),
  );
  await mesh.converged();
  status.a = 500;
  const enforced = od('ejections_enforced_consecutive_5xx');
  await send(6);
  assert.equal(od('ejections_enforced_consecutive_5xx') - enforced, 1);
  assert.equal(od('ejections_active'), 1);
  // Two healthy hosts of three (67 %) is below 80 %: the ejected host still gets its share.
  const before = hits.a!;
  await send(9);
  assert.ok(hits.a! - before >= 1, 'the ejected host serves in panic mode');
  status.a = 200;
});

test('split local-origin errors: connection failures eject through consecutiveLocalOriginFailures', async () => {
  await mesh.apply(
    rules(
      'consecutive5xxErrors: 2\ninterval: 50ms\nbaseEjectionTime: 10s\nmaxEjectionPercent: 100',
      'consecutiveLocalOriginFailures: 1\nsplitExternalLocalOriginErrors: true\ninterval: 50ms\nbaseEjectionTime: 10s\nmaxEjectionPercent: 50',
    ),
  );
  await mesh.converged();
  const lo = (name: string) => stat(clientProxy, `${LO}.outlier_detection.${name}`);
  const codes = await send(6, 'lo');
  assert.ok(codes.filter((c) => c === 503).length === 1, `${codes}`);
  assert.equal(lo('ejections_enforced_consecutive_local_origin_failure'), 1);
  assert.equal(lo('ejections_active'), 1);
  assert.equal(stat(clientProxy, `${LO}.upstream_cx_connect_fail`), 1);
});
