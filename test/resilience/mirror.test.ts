// Mirroring from VirtualService `mirror` / `mirrorPercentage`: a fire-and-forget copy (body
// included) to the mirror's cluster with the authority suffixed "-shadow", whose answer and latency
// never reach the caller; the sampled share is statistically right.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Proxy } from '../../src/proxy/index.ts';
import { serviceYaml, startApp, stat, TestMesh, viaSidecar } from './fixtures/mesh.ts';
import type { Pod } from './fixtures/mesh.ts';

const V2 = 'cluster.outbound|8000|v2|httpbin.default.svc.cluster.local';

const SUBSETS = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  subsets:
    - name: v1
      labels: {version: v1}
    - name: v2
      labels: {version: v2}
---
`;

function mirrorVs(percent: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts: [httpbin]
  http:
    - route:
        - destination:
            host: httpbin
            subset: v1
          weight: 100
      mirror:
        host: httpbin
        subset: v2
      mirrorPercentage:
        value: ${percent}
`;
}

let mesh: TestMesh;
let client: Pod;
let clientProxy: Proxy;
const received: Record<'v1' | 'v2', { host: string; body: string }[]> = { v1: [], v2: [] };

before(async () => {
  mesh = await TestMesh.start(
    serviceYaml('sleep', 80) + serviceYaml('httpbin', 8000, 80) + SUBSETS + mirrorVs(100),
  );
  client = mesh.addPod('sleep-1', { app: 'sleep' }, [80]);
  const v1 = mesh.addPod('httpbin-v1', { app: 'httpbin', version: 'v1' }, [80]);
  const v2 = mesh.addPod('httpbin-v2', { app: 'httpbin', version: 'v2' }, [80]);
  await startApp(mesh, v1, 80, (req, res, body) => {
    received.v1.push({ host: req.headers.host ?? '', body: body.toString() });
    res.end('v1');
  });
  await startApp(mesh, v2, 80, (req, res, body) => {
    received.v2.push({ host: req.headers.host ?? '', body: body.toString() });
    // The mirror is slow and fails: the caller must not notice.
    setTimeout(() => res.writeHead(500).end('v2'), 400);
  });
  [clientProxy] = await Promise.all([
    mesh.sidecar(client, { app: 'sleep' }),
    mesh.sidecar(v1, { app: 'httpbin', version: 'v1' }),
    mesh.sidecar(v2, { app: 'httpbin', version: 'v2' }),
  ]);
});

after(() => mesh?.close());

test('the mirror gets a copy with the body and a -shadow authority; the caller sees only v1', async () => {
  const r = await viaSidecar(client, 'http://httpbin:8000/post', { method: 'POST', body: 'payload' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'v1');
  assert.ok(r.ms < 350, `answered after ${r.ms} ms, the mirror takes 400 ms`);
  await mesh.until(() => received.v2.length === 1, 'the mirrored request');
  assert.deepEqual(received.v2[0], { host: 'httpbin-shadow:8000', body: 'payload' });
  assert.equal(received.v1.at(-1)!.host, 'httpbin:8000');
  await mesh.until(() => stat(clientProxy, `${V2}.upstream_rq_500`) === 1, 'the mirror answered');
});

test('mirrorPercentage 50 copies about half of the requests', async () => {
  await mesh.apply(mirrorVs(50));
  await mesh.converged();
  const before = stat(clientProxy, `${V2}.upstream_rq_total`);
  for (let i = 0; i < 200; i += 20)
    await Promise.all(Array.from({ length: 20 }, () => viaSidecar(client, 'http://httpbin:8000/get')));
  await mesh.until(() => stat(clientProxy, `${V2}.upstream_rq_active`) === 0, 'mirrors done');
  const mirrored = stat(clientProxy, `${V2}.upstream_rq_total`) - before;
  // Binomial(200, 0.5): sd ≈ 7; ±4.5 sd.
  assert.ok(mirrored >= 68 && mirrored <= 132, `${mirrored} of 200 mirrored`);
});
