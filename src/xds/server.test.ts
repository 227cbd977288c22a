import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../envoy/index.ts';
import type { ControlPlane } from './index.ts';
import type { MemoryStore } from '../config/index.ts';
import { AdsClient } from './fixtures/ads-client.ts';
import { addPod, applyYaml, bookinfoControlPlane, node } from './fixtures/harness.ts';

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';

let cp: ControlPlane;
let config: MemoryStore;
const clients: AdsClient[] = [];

function client(pod = 'productpage-v1-0', ip = '127.1.0.2'): AdsClient {
  const c = new AdsClient(cp.xdsPort, node('sidecar', ip, pod));
  clients.push(c);
  return c;
}

async function json(path: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${cp.monitoringPort}${path}`);
  return res.json();
}

type Row = Record<string, unknown>;

async function statusOf(id: string): Promise<Row> {
  const rows = (await json('/debug/syncz')) as Row[];
  const row = rows.find((r) => r.proxy === id);
  assert.ok(row, `proxy ${id} in syncz`);
  return row;
}

before(async () => {
  ({ config, cp } = await bookinfoControlPlane(20));
});

after(async () => {
  for (const c of clients) c.close();
  await cp.close();
});

test('CDS wildcard, EDS by name, ACK: the proxy shows SYNCED; a NACK is recorded with its error', async () => {
  const c = client();
  c.request(CLUSTER_TYPE);
  const cds = await c.next(CLUSTER_TYPE);
  assert.ok(c.names(cds).includes(REVIEWS));
  assert.ok(cds.nonce && cds.versionInfo);
  c.request(CLUSTER_TYPE, [], cds);
  c.request(ENDPOINT_TYPE, [REVIEWS]);
  const eds = await c.next(ENDPOINT_TYPE);
  assert.deepEqual(c.names(eds), [REVIEWS]);
  c.request(ENDPOINT_TYPE, [REVIEWS], eds);
  c.request(LISTENER_TYPE);
  const lds = await c.next(LISTENER_TYPE);
  assert.deepEqual(c.names(lds).sort(), ['127.1.0.2_15001', '127.1.0.2_9080']);
  // A NACK: the proxy rejects the listeners.
  c.request(LISTENER_TYPE, [], lds, 'listener 127.1.0.2_9080: address already in use');
  await cp.server.settle();
  await sleep(20);
  const row = await statusOf(c.node.id!);
  assert.equal(row.CDS, 'SYNCED');
  assert.equal(row.EDS, 'SYNCED');
  assert.equal(row.LDS, 'NACK');
  assert.equal(row.RDS, 'NOT SENT');
  assert.match((row.listener_nack as Row).error as string, /address already in use/);
  assert.equal(row.cluster_acked_version, cds.versionInfo);
  const metrics = await (await fetch(`http://127.0.0.1:${cp.monitoringPort}/metrics`)).text();
  assert.match(metrics, /pilot_total_xds_rejects\{type="lds"\} 1/);
  assert.match(metrics, /pilot_xds_pushes\{type="cds"\} \d+/);
  assert.match(metrics, /^pilot_xds [1-9]\d*$/m);
  const dump = (await json(`/debug/config_dump?proxyID=productpage-v1-0.default`)) as { configs: Row[] };
  const clusters = dump.configs[0]!.dynamicActiveClusters as Row[];
  assert.ok(clusters.some((x) => (x.cluster as Row).name === REVIEWS));
  c.close();
});

test('an endpoint change pushes EDS only, to proxies watching that cluster', async () => {
  const c = client('reviews-v1-0', '127.1.0.3');
  c.request(CLUSTER_TYPE);
  const cds = await c.next(CLUSTER_TYPE);
  c.request(CLUSTER_TYPE, [], cds);
  c.request(ENDPOINT_TYPE, [RATINGS, REVIEWS]);
  const eds = await c.next(ENDPOINT_TYPE);
  c.request(ENDPOINT_TYPE, [RATINGS, REVIEWS], eds);
  await cp.server.settle();
  const before = c.received.length;
  addPod(cp.registry, { name: 'ratings-v2-0', ip: '127.1.0.7', labels: { app: 'ratings', version: 'v2' } });
  const pushed = await c.next(ENDPOINT_TYPE, before);
  await cp.server.settle();
  assert.equal(c.received.length, before + 1, 'only one response: EDS');
  const assignments = pushed.resources as unknown as {
    clusterName: string;
    endpoints: { lbEndpoints: unknown[] }[];
  }[];
  const ratings = assignments.find((a) => a.clusterName === RATINGS)!;
  assert.equal(ratings.endpoints.flatMap((l) => l.lbEndpoints).length, 2);
  c.request(ENDPOINT_TYPE, [RATINGS, REVIEWS], pushed);
  // A change to a Deployment (not part of any proxy's config) pushes nothing.
  const n = c.received.length;
  await applyYaml(
    config,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: unrelated
spec:
  selector:
    matchLabels:
      app: unrelated
  template:
    metadata:
      labels:
        app: unrelated
    spec:
      containers:
      - name: app
        image: example/unrelated
`,
  );
  await sleep(60);
  await cp.server.settle();
  assert.equal(c.received.length, n);
  c.close();
});

test('a burst of config changes is debounced into one push; stale nonces are ignored', async () => {
  const c = client('ratings-v1-0', '127.1.0.6');
  c.request(CLUSTER_TYPE);
  const cds = await c.next(CLUSTER_TYPE);
  c.request(CLUSTER_TYPE, [], cds);
  await cp.server.settle();
  const before = c.count(CLUSTER_TYPE);
  for (let i = 1; i <= 5; i++)
    await applyYaml(
      config,
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: ${i}
`,
    );
  const pushed = await c.next(CLUSTER_TYPE, c.received.length);
  await sleep(60);
  await cp.server.settle();
  assert.equal(c.count(CLUSTER_TYPE), before + 1);
  const reviews = (
    pushed.resources as unknown as {
      name: string;
      circuitBreakers: { thresholds: { maxConnections: { value: number } }[] };
    }[]
  ).find((x) => x.name === REVIEWS)!;
  assert.equal(reviews.circuitBreakers.thresholds[0]!.maxConnections.value, 5);
  // An ACK for the superseded response (old nonce) changes nothing.
  c.request(CLUSTER_TYPE, [], cds);
  await sleep(20);
  const row = await statusOf(c.node.id!);
  assert.equal(row.CDS, 'STALE');
  c.request(CLUSTER_TYPE, [], pushed);
  await sleep(20);
  assert.equal((await statusOf(c.node.id!)).CDS, 'SYNCED');
  c.close();
});

test('subscribing to new route names answers them; a reconnect gets everything again', async () => {
  const c = client();
  c.request(ROUTE_TYPE, ['9080']);
  const first = await c.next(ROUTE_TYPE);
  assert.deepEqual(c.names(first), ['9080']);
  c.request(ROUTE_TYPE, ['9080', 'http_proxy'], first);
  const second = await c.next(ROUTE_TYPE, c.received.length);
  assert.deepEqual(c.names(second).sort(), ['9080', 'http_proxy']);
  c.request(ROUTE_TYPE, ['http_proxy'], second);
  const third = await c.next(ROUTE_TYPE, c.received.length);
  assert.deepEqual(c.names(third), ['http_proxy']);
  c.close();
  await sleep(50);
  const again = client();
  again.request(ROUTE_TYPE, ['http_proxy']);
  const r = await again.next(ROUTE_TYPE);
  assert.deepEqual(again.names(r), ['http_proxy']);
  const ids = ((await json('/debug/syncz')) as Row[]).map((x) => x.proxy);
  assert.equal(ids.filter((id) => id === again.node.id).length, 1, 'the closed stream is gone from status');
  const version = (await json('/version')) as Row;
  assert.equal(typeof version.version, 'string');
  again.close();
});

test('a node id that is not Istio-shaped is refused with a clear error', async () => {
  const c = new AdsClient(cp.xdsPort, { id: 'not-a-node', metadata: { fields: {} } });
  clients.push(c);
  const err = await new Promise<Error>((resolve) => {
    c.stream.on('error', resolve);
    c.request(CLUSTER_TYPE);
  });
  assert.match(err.message, /node id "not-a-node"/);
});

test('a VirtualService change pushes routes only to proxies that can see its host', async () => {
  addPod(cp.registry, { name: 'scoped-0', ip: '127.1.0.9', labels: { app: 'scoped' } });
  await applyYaml(
    config,
    `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: scoped
spec:
  workloadSelector:
    labels:
      app: scoped
  egress:
  - hosts:
    - "./ratings.default.svc.cluster.local"
`,
  );
  await sleep(60);
  await cp.server.settle();
  const scoped = client('scoped-0', '127.1.0.9');
  const open = client('productpage-v1-0', '127.1.0.2');
  for (const c of [scoped, open]) {
    c.request(ROUTE_TYPE, ['9080']);
    c.request(ROUTE_TYPE, ['9080'], await c.next(ROUTE_TYPE));
  }
  await cp.server.settle();
  const before = scoped.count(ROUTE_TYPE);
  const pushed = open.next(ROUTE_TYPE, open.received.length);
  await applyYaml(
    config,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
    timeout: 3s
`,
  );
  const r = await pushed;
  const vh = (
    r.resources[0]!.virtualHosts as { name: string; routes: { route: { timeout: { seconds: string } } }[] }[]
  ).find((v) => v.name === 'reviews.default.svc.cluster.local:9080')!;
  assert.equal(vh.routes[0]!.route.timeout.seconds, '3');
  await sleep(60);
  await cp.server.settle();
  assert.equal(scoped.count(ROUTE_TYPE), before, 'the scoped proxy cannot see reviews and gets no push');
  scoped.close();
  open.close();
});

test(
  'a Service in another namespace pushes clusters but not listeners to a local-mode sidecar',
  { timeout: 10_000 },
  async () => {
    const c = client('productpage-v1-0', '127.1.0.2');
    c.request(LISTENER_TYPE);
    c.request(LISTENER_TYPE, [], await c.next(LISTENER_TYPE));
    c.request(CLUSTER_TYPE);
    c.request(CLUSTER_TYPE, [], await c.next(CLUSTER_TYPE));
    await cp.server.settle();
    const listeners = c.count(LISTENER_TYPE);
    let n = c.received.length;
    await applyYaml(
      config,
      `apiVersion: v1
kind: Namespace
metadata:
  name: elsewhere
---
apiVersion: v1
kind: Service
metadata:
  name: far
  namespace: elsewhere
spec:
  selector:
    app: productpage
  ports:
  - port: 9090
    name: http
`,
    );
    const clusters = await c.next(CLUSTER_TYPE, n);
    assert.ok(c.names(clusters).includes('outbound|9090||far.elsewhere.svc.cluster.local'));
    c.request(CLUSTER_TYPE, [], clusters);
    await sleep(60);
    await cp.server.settle();
    assert.equal(c.count(LISTENER_TYPE), listeners, 'its own pod is in another namespace: no listener push');
    // A Service of its own namespace selecting its pod adds an inbound listener.
    n = c.received.length;
    await applyYaml(
      config,
      `apiVersion: v1
kind: Service
metadata:
  name: near
spec:
  selector:
    app: productpage
  ports:
  - port: 9091
    name: http
`,
    );
    const pushed = await c.next(LISTENER_TYPE, n);
    assert.ok(c.names(pushed).includes('127.1.0.2_9091'));
    c.close();
  },
);
