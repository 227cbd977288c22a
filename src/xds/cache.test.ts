import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { CLUSTER_TYPE, ENDPOINT_TYPE, packAny, ROUTE_TYPE } from '../envoy/index.ts';
import type { MemoryStore } from '../config/index.ts';
import type { ControlPlane } from './index.ts';
import { startControlPlane } from './index.ts';
import { AdsClient } from './fixtures/ads-client.ts';
import { addPod, applyYaml, node, reviewsSubsets, storeWith, World } from './fixtures/harness.ts';
import { ResourceCache } from './cache.ts';
import type { Json } from './envoy-util.ts';
import { GENERATORS } from './generators.ts';

const bookinfo = readFileSync(new URL('./fixtures/bookinfo.yaml', import.meta.url), 'utf8');
const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
// A namespace whose Sidecar limits egress to its own services.
const scoped = `apiVersion: v1
kind: Namespace
metadata:
  name: scoped
---
apiVersion: v1
kind: Service
metadata:
  name: local
  namespace: scoped
spec:
  selector:
    app: local
  ports:
  - name: http
    port: 8080
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: scoped
spec:
  egress:
  - hosts:
    - "./*"
`;

let cp: ControlPlane;
let config: MemoryStore;
const clients: AdsClient[] = [];

/** A sidecar subscribed to CDS, RDS http_proxy and EDS for `eds`, all ACKed. */
async function sidecar(pod: string, ip: string, ns = 'default', eds: string[] = []): Promise<AdsClient> {
  const c = new AdsClient(cp.xdsPort, node('sidecar', ip, pod, ns));
  clients.push(c);
  c.request(CLUSTER_TYPE);
  c.request(CLUSTER_TYPE, [], await c.next(CLUSTER_TYPE));
  c.request(ROUTE_TYPE, ['http_proxy']);
  c.request(ROUTE_TYPE, ['http_proxy'], await c.next(ROUTE_TYPE));
  if (eds.length) {
    c.request(ENDPOINT_TYPE, eds);
    c.request(ENDPOINT_TYPE, eds, await c.next(ENDPOINT_TYPE));
  }
  await cp.server.settle();
  return c;
}

function sentBodies(c: AdsClient, typeUrl: string): readonly Buffer[] {
  const conn = cp.server.connections().find((x) => x.proxy.id === c.node.id);
  assert.ok(conn, `connection of ${c.node.id}`);
  return conn.types.get(typeUrl)?.lastBodies ?? [];
}

let a: AdsClient;
let b: AdsClient;
let s: AdsClient;

before(async () => {
  config = await storeWith(`${bookinfo}\n---\n${scoped}`);
  cp = await startControlPlane({ xdsPort: 0, monitoringPort: 0, config, debounceMs: 10 });
  addPod(cp.registry, { name: 'productpage-v1-0', ip: '127.1.0.2', labels: { app: 'productpage' } });
  addPod(cp.registry, { name: 'reviews-v1-0', ip: '127.1.0.3', labels: { app: 'reviews', version: 'v1' } });
  addPod(cp.registry, { name: 'ratings-v1-0', ip: '127.1.0.6', labels: { app: 'ratings', version: 'v1' } });
  addPod(cp.registry, { name: 'local-0', namespace: 'scoped', ip: '127.1.0.9', labels: { app: 'local' } });
  await cp.server.settle();
  a = await sidecar('productpage-v1-0', '127.1.0.2', 'default', [RATINGS, REVIEWS]);
  b = await sidecar('reviews-v1-0', '127.1.0.3', 'default', [RATINGS, REVIEWS]);
  s = await sidecar('local-0', '127.1.0.9', 'scoped');
});

after(async () => {
  for (const c of clients) c.close();
  await cp?.close();
});

test('proxies with the same shape share encoded bytes; a different Sidecar scope does not', () => {
  const [aShared, aOwn] = sentBodies(a, CLUSTER_TYPE);
  const [bShared, bOwn] = sentBodies(b, CLUSTER_TYPE);
  const [sShared] = sentBodies(s, CLUSTER_TYPE);
  assert.ok(aShared && bShared && sShared && aOwn && bOwn);
  assert.equal(aShared, bShared, 'one buffer for the clusters both see');
  assert.notDeepEqual(aOwn, bOwn, 'inbound clusters are each proxy’s own');
  assert.notEqual(aShared, sShared);
  assert.ok(!aShared.equals(sShared), 'the scoped proxy sees other clusters');
  const [aRoutes] = sentBodies(a, ROUTE_TYPE);
  const [sRoutes] = sentBodies(s, ROUTE_TYPE);
  assert.equal(aRoutes, sentBodies(b, ROUTE_TYPE)[0], 'http_proxy routes encoded once for both');
  assert.ok(aRoutes && sRoutes && !aRoutes.equals(sRoutes));
  assert.equal(sentBodies(a, ENDPOINT_TYPE)[0], sentBodies(b, ENDPOINT_TYPE)[0]);
});

test('an endpoint change re-encodes only that cluster’s assignment', async () => {
  const before = cp.server.cache.stats;
  const n = a.received.length;
  addPod(cp.registry, { name: 'ratings-v2-0', ip: '127.1.0.7', labels: { app: 'ratings', version: 'v2' } });
  const pushed = await a.next(ENDPOINT_TYPE, n);
  await cp.server.settle();
  assert.deepEqual(a.names(pushed), [RATINGS]);
  const after = cp.server.cache.stats;
  assert.equal(after.misses - before.misses, 1, 'one assignment encoded, for both proxies');
  a.request(ENDPOINT_TYPE, [RATINGS, REVIEWS], pushed);
  b.request(ENDPOINT_TYPE, [RATINGS, REVIEWS], await b.next(ENDPOINT_TYPE, 0));
  await cp.server.settle();
});

test('a VirtualService change re-encodes only the routes of proxies that see its host', async () => {
  const before = cp.server.cache.stats;
  const [aRoutes] = sentBodies(a, ROUTE_TYPE);
  const sCount = s.count(ROUTE_TYPE);
  const n = a.received.length;
  await applyYaml(
    config,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - route:
    - destination:
        host: ratings
    timeout: 3s
`,
  );
  const routes = await a.next(ROUTE_TYPE, n);
  a.request(ROUTE_TYPE, ['http_proxy'], routes);
  await cp.server.settle();
  const after = cp.server.cache.stats;
  assert.equal(after.misses - before.misses, 1, 'the default namespace’s http_proxy routes, once');
  assert.notEqual(sentBodies(a, ROUTE_TYPE)[0], aRoutes);
  assert.equal(sentBodies(a, ROUTE_TYPE)[0], sentBodies(b, ROUTE_TYPE)[0]);
  assert.equal(s.count(ROUTE_TYPE), sCount, 'the scoped proxy cannot see ratings: no push');
  // Unchanged clusters were not sent again, and nothing of theirs was re-encoded.
  assert.ok(after.hits >= before.hits);
});

test('a route configuration encoded host by host has the bytes of encoding it whole', () => {
  const w = new World(
    `${bookinfo}
---
${reviewsSubsets('v1', 'v2')}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
      uri:
        prefix: /api
    route:
    - destination:
        host: reviews
        subset: v2
    fault:
      abort:
        httpStatus: 500
        percentage:
          value: 10
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 90
    - destination:
        host: reviews
        subset: v2
      weight: 10
    timeout: 2s
    retries:
      attempts: 3
      perTryTimeout: 500ms
`,
    [{ name: 'productpage-v1-0', ip: '127.1.0.2', labels: { app: 'productpage' } }],
  );
  const proxy = w.proxy(node('sidecar', '127.1.0.2', 'productpage-v1-0'));
  const rds = GENERATORS.get(ROUTE_TYPE)!;
  const routes = rds.generate(proxy, w.push(), {
    names: ['9080', 'http_proxy'],
    key: '9080,http_proxy',
    wildcard: false,
  });
  const [first] = routes;
  assert.ok(first && (first.virtualHosts as Json[]).length > 2);
  const configs: Json[] = [
    ...routes,
    { virtualHosts: first.virtualHosts, validateClusters: { value: false } },
    { name: '', virtualHosts: [] },
    {
      name: 'last-host-only',
      virtualHosts: (first.virtualHosts as Json[]).slice(-1),
      internalOnlyHeaders: ['x-a'],
    },
  ];
  const cache = new ResourceCache();
  for (const rc of configs) assert.deepEqual(cache.entry(ROUTE_TYPE, rc), wholeEntry(rc), String(rc.name));
  // A host that does not encode is refused as the whole configuration would be.
  const bad = { name: 'bad', virtualHosts: [{ name: 'v', domains: 'not-a-list' }] };
  assert.throws(() => packAny(ROUTE_TYPE, bad));
  assert.throws(() => cache.entry(ROUTE_TYPE, bad), /domains/);
});

/** The resources entry of a route configuration encoded in one piece. */
function wholeEntry(rc: Json): Buffer {
  const any = packAny(ROUTE_TYPE, rc);
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(any.typeUrl);
  w.uint32((2 << 3) | 2).bytes(any.value);
  w.ldelim();
  return Buffer.from(w.finish());
}
