import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadTexts } from '../api/index.ts';
import type { Deployment, Resource } from '../api/index.ts';
import type { RegistryChange } from './index.ts';
import { deploymentTemplate, resolveHost, ServiceRegistry, workloadFromTemplate } from './index.ts';

function load(text: string, file = 'test.yaml'): readonly Resource[] {
  const { resources, issues } = loadTexts([{ file, text }]);
  assert.deepEqual(
    issues.filter((i) => i.severity === 'error').map((i) => `${i.line}: ${i.message}`),
    [],
  );
  return resources;
}

const bookinfo = load(readFileSync(new URL('./fixtures/bookinfo-reviews.yaml', import.meta.url), 'utf8'));

function deployment(name: string): Deployment {
  const d = bookinfo.find((r) => r.kind === 'Deployment' && r.metadata.name === name);
  assert.ok(d, name);
  return d as Deployment;
}

test('short names resolve relative to the namespace; FQDNs and wildcards stay', () => {
  assert.equal(resolveHost('reviews', 'default'), 'reviews.default.svc.cluster.local');
  assert.equal(resolveHost('reviews.prod.svc.cluster.local', 'default'), 'reviews.prod.svc.cluster.local');
  assert.equal(resolveHost('*.example.com', 'default'), '*.example.com');
});

test('a Service selects the pods the runtime reports, with labels, account, locality and readiness', () => {
  const reg = new ServiceRegistry();
  const changes: RegistryChange[] = [];
  reg.onChange((c) => changes.push(c));
  reg.setConfig(bookinfo);
  const svc = reg.service('reviews.default.svc.cluster.local');
  assert.ok(svc);
  assert.deepEqual(
    svc.ports.map((p) => [p.name, p.port, p.protocol]),
    [['http', 9080, 'HTTP']],
  );
  assert.equal(reg.endpoints(svc.hostname).length, 0);

  const tpl = deploymentTemplate(deployment('reviews-v1'));
  reg.upsertPod(
    workloadFromTemplate(tpl, {
      name: 'reviews-v1-0',
      namespace: 'default',
      address: '127.1.0.5',
      appAddress: '127.2.0.5',
      locality: { region: 'r1', zone: 'z1', subZone: '' },
    }),
  );
  const eps = reg.endpoints(svc.hostname);
  assert.equal(eps.length, 1);
  assert.equal(eps[0]?.address, '127.1.0.5');
  assert.equal(eps[0]?.port, 9080);
  assert.equal(eps[0]?.labels.version, 'v1');
  assert.equal(eps[0]?.serviceAccount, 'bookinfo-reviews');
  assert.equal(eps[0]?.locality?.zone, 'z1');
  assert.equal(reg.workloadByAddress('127.1.0.5')?.appAddress, '127.2.0.5');
  const last = changes.at(-1)!;
  assert.equal(last.servicesChanged, false);
  assert.deepEqual([...last.endpointHosts], ['reviews.default.svc.cluster.local']);

  reg.upsertPod({ ...reg.workloadByAddress('127.1.0.5')!, ready: false });
  assert.equal(reg.endpoints(svc.hostname)[0]?.ready, false);
  reg.removePod('default', 'reviews-v1-0');
  assert.equal(reg.endpoints(svc.hostname).length, 0);
});

test('named target ports resolve through container ports; unknown names give no endpoint', () => {
  const reg = new ServiceRegistry();
  reg.setConfig(bookinfo);
  const svc = reg.service('web.shop.svc.cluster.local');
  assert.equal(svc?.address, '10.0.0.7');
  assert.deepEqual(
    svc?.ports.map((p) => p.protocol),
    ['HTTP', 'GRPC'],
  );
  reg.upsertPod(
    workloadFromTemplate(
      {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ ports: [{ name: 'web-port', containerPort: 8080 }] }] },
      },
      { name: 'web-0', namespace: 'shop', address: '127.1.0.9' },
    ),
  );
  assert.deepEqual(
    reg.endpoints('web.shop.svc.cluster.local').map((e) => `${e.servicePort.port}->${e.port}`),
    ['7070->7070', '80->8080'],
  );
  // A pod in another namespace with the same labels is not selected.
  reg.upsertPod(
    workloadFromTemplate(
      { metadata: { labels: { app: 'web' } } },
      { name: 'web-0', namespace: 'other', address: '127.1.0.10' },
    ),
  );
  assert.equal(reg.endpoints('web.shop.svc.cluster.local').length, 2);
});

test('reloading the same config reports no change; a changed Service reports services changed', () => {
  const reg = new ServiceRegistry();
  reg.setConfig(bookinfo);
  const same = reg.setConfig(bookinfo);
  assert.equal(same.servicesChanged, false);
  assert.equal(same.endpointHosts.size, 0);
  const fewer = reg.setConfig(bookinfo.filter((r) => r.metadata.name !== 'web'));
  assert.equal(fewer.servicesChanged, true);
  assert.equal(reg.service('web.shop.svc.cluster.local'), undefined);
});

test('ServiceEntry: one service per host, inline endpoints, WorkloadEntries by selector, location and resolution', () => {
  const reg = new ServiceRegistry();
  reg.setConfig(
    load(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: vms
  namespace: shop
spec:
  hosts:
  - vm.shop.internal
  - legacy
  addresses:
  - 240.0.0.1
  ports:
  - number: 8080
    name: http
    protocol: HTTP
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector:
    labels:
      app: vm
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vm-1
  namespace: shop
spec:
  address: 10.2.0.1
  labels:
    app: vm
    version: v1
  serviceAccount: vm-sa
  locality: us-east/zone-a
  ports:
    http: 9090
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vm-other-ns
  namespace: default
spec:
  address: 10.2.0.2
  labels:
    app: vm
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: external
spec:
  hosts:
  - api.example.com
  ports:
  - number: 443
    name: tls
    protocol: TLS
  resolution: DNS
`),
  );
  const vm = reg.service('vm.shop.internal');
  assert.equal(vm?.meshExternal, false);
  assert.equal(vm?.resolution, 'CLIENT_SIDE_LB');
  assert.equal(vm?.address, '240.0.0.1');
  assert.ok(reg.service('legacy.shop.svc.cluster.local'), 'short host resolved in the entry namespace');
  const eps = reg.endpoints('vm.shop.internal');
  assert.deepEqual(
    eps.map((e) => `${e.address}:${e.port} ${e.serviceAccount} ${e.locality?.zone}`),
    ['10.2.0.1:9090 vm-sa zone-a'],
  );
  const ext = reg.service('api.example.com');
  assert.equal(ext?.meshExternal, true);
  assert.equal(ext?.resolution, 'DNS');
  assert.deepEqual(
    reg.endpoints('api.example.com').map((e) => `${e.address}:${e.port}`),
    ['api.example.com:443'],
  );
});

test('a Service without a selector takes its addresses from the Endpoints object of the same name', () => {
  const reg = new ServiceRegistry();
  reg.setConfig(
    load(`apiVersion: v1
kind: Service
metadata:
  name: legacy-db
spec:
  ports:
  - name: tcp-db
    port: 5432
---
apiVersion: v1
kind: Endpoints
metadata:
  name: legacy-db
subsets:
- addresses:
  - ip: 10.9.0.1
  notReadyAddresses:
  - ip: 10.9.0.2
  ports:
  - name: tcp-db
    port: 15432
`),
  );
  assert.deepEqual(
    reg.endpoints('legacy-db.default.svc.cluster.local').map((e) => `${e.address}:${e.port} ${e.ready}`),
    ['10.9.0.1:15432 true', '10.9.0.2:15432 false'],
  );
});

test('a config change keeps what unchanged services derived; changed ones, and those whose workloads changed, are recomputed', () => {
  const reg = new ServiceRegistry();
  reg.setConfig(bookinfo);
  const pod = (name: string, namespace: string, address: string, labels: Record<string, string>) =>
    workloadFromTemplate({ metadata: { labels } }, { name, namespace, address });
  reg.upsertPod(pod('reviews-v1-0', 'default', '127.1.0.5', { app: 'reviews', version: 'v1' }));
  reg.upsertPod(pod('web-0', 'shop', '127.1.0.9', { app: 'web' }));
  const reviews = reg.service('reviews.default.svc.cluster.local');
  const endpoints = reg.endpoints('reviews.default.svc.cluster.local');
  const reviewsPod = reg.workloadByAddress('127.1.0.5')!;
  const webPod = reg.workloadByAddress('127.1.0.9')!;
  const servicesOfReviews = reg.servicesOf(reviewsPod);
  assert.deepEqual(
    reg.servicesOf(webPod).map((s) => s.name),
    ['web'],
  );

  const extra = load(`apiVersion: v1
kind: Service
metadata:
  name: extra
  namespace: shop
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 8000
`);
  const added = reg.setConfig([...bookinfo, ...extra]);
  assert.equal(added.servicesChanged, true);
  assert.deepEqual([...added.endpointHosts], ['extra.shop.svc.cluster.local']);
  assert.equal(reg.service('reviews.default.svc.cluster.local'), reviews, 'the unchanged service is kept');
  assert.equal(reg.endpoints('reviews.default.svc.cluster.local'), endpoints, 'and its endpoints');
  assert.equal(reg.servicesOf(reviewsPod), servicesOfReviews, 'and the services of its pods');
  assert.deepEqual(
    reg
      .servicesOf(webPod)
      .map((s) => s.name)
      .sort(),
    ['extra', 'web'],
  );

  // The reviews Service now targets another port: its endpoints follow.
  const retargeted = [
    ...bookinfo.filter((r) => !(r.kind === 'Service' && r.metadata.name === 'reviews')),
    ...load(`apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  selector:
    app: reviews
  ports:
  - name: http
    port: 9080
    targetPort: 9081
`),
  ];
  const changed = reg.setConfig([...retargeted, ...extra]);
  assert.equal(changed.servicesChanged, true);
  assert.deepEqual([...changed.endpointHosts], ['reviews.default.svc.cluster.local']);
  assert.deepEqual(
    reg.endpoints('reviews.default.svc.cluster.local').map((e) => e.port),
    [9081],
  );

  // A WorkloadEntry in shop (config, not a pod) joins the endpoints of the services there.
  const entry = load(`apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vm-1
  namespace: shop
spec:
  address: 10.1.0.1
  labels:
    app: web
`);
  const joined = reg.setConfig([...retargeted, ...extra, ...entry]);
  assert.equal(joined.servicesChanged, false);
  assert.deepEqual([...joined.endpointHosts].sort(), [
    'extra.shop.svc.cluster.local',
    'web.shop.svc.cluster.local',
  ]);
  assert.ok(reg.endpoints('extra.shop.svc.cluster.local').some((e) => e.address === '10.1.0.1'));
});
