// Compatibility: every resource the control plane generates for Bookinfo (platform, gateway and
// each networking task in turn, plus a CORS policy) is accepted by the proxies it is sent to — no
// NACK from any sidecar or from the ingress gateway.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Proxy } from '../../src/proxy/index.ts';
import { syncz } from '../../src/xds/index.ts';
import { TestMesh } from './fixtures/mesh.ts';

const dir = new URL('../../samples/bookinfo/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, dir), 'utf8');

const GATEWAY_SERVICE = `apiVersion: v1
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
`;

const CORS = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
    - corsPolicy:
        allowOrigin: ["*"]
        allowMethods: [GET, POST]
        maxAge: 24h
      route:
        - destination:
            host: ratings
`;

const WORKLOADS = [
  ['details', 'v1'],
  ['ratings', 'v1'],
  ['reviews', 'v1'],
  ['reviews', 'v2'],
  ['reviews', 'v3'],
  ['productpage', 'v1'],
] as const;

let mesh: TestMesh;
const proxies: Proxy[] = [];

before(async () => {
  mesh = await TestMesh.start(`${read('platform/bookinfo.yaml')}\n---\n${GATEWAY_SERVICE}`);
  for (const [app, version] of WORKLOADS) {
    const labels = { app, version };
    const pod = mesh.addPod(`${app}-${version}-0`, labels, [9080]);
    proxies.push(await mesh.sidecar(pod, labels));
  }
  const gw = mesh.addPod('istio-ingressgateway-0', { istio: 'ingressgateway' }, [8080], 'istio-system');
  await mesh.apply(read('networking/bookinfo-gateway.yaml'));
  proxies.push(await mesh.gateway(gw, { istio: 'ingressgateway' }, 8080));
});

after(() => mesh?.close());

function nacks(): string[] {
  const out: string[] = [];
  for (const row of syncz(mesh.cp.server))
    for (const [k, v] of Object.entries(row))
      if (k.endsWith('_nack')) out.push(`${row.proxy} ${k}: ${JSON.stringify(v)}`);
  for (const p of proxies)
    for (const s of p.stats.json().stats)
      if (s.name.endsWith('.update_rejected') && s.value > 0) out.push(`${p.bootstrap.node.id} ${s.name}`);
  return out;
}

const tasks = readdirSync(new URL('networking/', dir))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

for (const file of ['destination-rule-all.yaml', ...tasks.filter((f) => f !== 'destination-rule-all.yaml')])
  test(`${file}: accepted by every proxy`, async () => {
    await mesh.apply(read(`networking/${file}`));
    await mesh.converged();
    assert.deepEqual(nacks(), []);
  });

test('a CORS policy with allowOrigin "*" (translated to safe_regex ".*") is accepted', async () => {
  await mesh.apply(CORS);
  await mesh.converged();
  assert.deepEqual(nacks(), []);
  const route = proxies[5]!.routes.get('http_proxy')!.virtualHosts.find((v) => v.name.startsWith('ratings'))!;
  assert.ok(route.routes[0]!.perFilter.has('envoy.filters.http.cors'));
});
