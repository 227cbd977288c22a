import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Json } from './envoy-util.ts';
import type { PodSpec } from './fixtures/harness.ts';
import { node, vhost, World } from './fixtures/harness.ts';

const bookinfo = readFileSync(new URL('./fixtures/bookinfo.yaml', import.meta.url), 'utf8');
const pods: PodSpec[] = [
  { name: 'productpage-v1-0', ip: '127.1.0.2', labels: { app: 'productpage', version: 'v1' } },
  { name: 'reviews-v1-0', ip: '127.1.0.3', labels: { app: 'reviews', version: 'v1' } },
  { name: 'reviews-v2-0', ip: '127.1.0.4', labels: { app: 'reviews', version: 'v2' } },
  { name: 'reviews-v3-0', ip: '127.1.0.5', labels: { app: 'reviews', version: 'v3' } },
  { name: 'ratings-v1-0', ip: '127.1.0.6', labels: { app: 'ratings', version: 'v1' } },
];
const PRODUCTPAGE = node('sidecar', '127.1.0.2', 'productpage-v1-0');
function addr(a: unknown): string {
  const sa = (a as { socketAddress: { address: string; portValue: number } }).socketAddress;
  return `${sa.address}:${sa.portValue}`;
}
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

test('without VirtualService or DestinationRule a service gets Istio defaults', () => {
  const w = new World(bookinfo, pods);
  const proxy = w.proxy(PRODUCTPAGE);
  const clusters = w.clusters(proxy);
  const c = clusters.get(REVIEWS)!;
  assert.equal(c.type, 'EDS');
  assert.deepEqual(c.connectTimeout, { seconds: '10' });
  assert.equal(c.lbPolicy, undefined); // ROUND_ROBIN, the enum's zero value
  assert.deepEqual((c.edsClusterConfig as Json).serviceName, REVIEWS);
  const t = ((c.circuitBreakers as Json).thresholds as Json[])[0]!;
  assert.deepEqual(t.maxConnections, { value: 4294967295 });
  assert.deepEqual(t.maxRetries, { value: 4294967295 });
  assert.ok(clusters.has('PassthroughCluster'));
  assert.ok(clusters.has('BlackHoleCluster'));
  assert.equal(clusters.get('inbound|9080||')?.type, 'STATIC');
  assert.deepEqual(w.endpoints(proxy, REVIEWS), ['127.1.0.3:9080', '127.1.0.4:9080', '127.1.0.5:9080']);

  const rc = w.route(proxy, '9080');
  const vh = vhost(rc, 'reviews.default.svc.cluster.local:9080');
  assert.ok((vh.domains as string[]).includes('reviews'));
  assert.ok((vh.domains as string[]).includes('reviews:9080'));
  assert.ok((vh.domains as string[]).includes('reviews.default.svc.cluster.local'));
  const route = (vh.routes as Json[])[0]!;
  assert.equal(route.name, 'default');
  const action = route.route as Json;
  assert.equal(action.cluster, REVIEWS);
  assert.deepEqual(action.timeout, { seconds: '0' });
  const retry = action.retryPolicy as Json;
  assert.equal(retry.retryOn, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
  assert.deepEqual(retry.numRetries, { value: 2 });
  assert.equal(retry.hostSelectionRetryMaxAttempts, '5');
  assert.equal((retry.retryHostPredicate as Json[])[0]!.name, 'envoy.retry_host_predicates.previous_hosts');
  assert.equal(vhost(rc, 'allow_any').domains instanceof Array, true);
});

test('sidecar listeners: inbound per targeted port to the app address, HTTP proxy on 15001', () => {
  const w = new World(bookinfo, pods);
  const proxy = w.proxy(PRODUCTPAGE);
  const ls = w.listeners(proxy);
  const inbound = ls.get('127.1.0.2_9080')!;
  assert.equal(addr(inbound.address), '127.1.0.2:9080');
  const hcm = ((inbound.filterChains as Json[])[0]!.filters as Json[])[0]!.typedConfig as Json;
  assert.equal(hcm.statPrefix, 'inbound_0.0.0.0_9080');
  assert.equal((hcm.routeConfig as Json).name, 'inbound|9080||');
  const cluster = w.clusters(proxy).get('inbound|9080||')!;
  const ep = (((cluster.loadAssignment as Json).endpoints as Json[])[0]!.lbEndpoints as Json[])[0]!;
  assert.equal(addr((ep.endpoint as Json).address), '127.2.0.2:9080');
  const out = ls.get('127.1.0.2_15001')!;
  const ohcm = ((out.filterChains as Json[])[0]!.filters as Json[])[0]!.typedConfig as Json;
  assert.equal(ohcm.statPrefix, 'outbound_127.1.0.2_15001');
  assert.equal((ohcm.rds as Json).routeConfigName, 'http_proxy');
  const rc = w.route(proxy, 'http_proxy');
  const vh = vhost(rc, 'reviews.default.svc.cluster.local:9080');
  assert.ok((vh.domains as string[]).includes('reviews:9080'));
  assert.ok(!(vh.domains as string[]).includes('reviews'));
});

test('redirected sidecars get Istio outbound listeners; tcp and tls routes become tcp_proxy and SNI chains', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: v1
kind: Service
metadata:
  name: mongo
spec:
  clusterIP: 10.0.0.20
  selector:
    app: mongo
  ports:
  - name: tcp-mongo
    port: 27017
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: external-tls
spec:
  hosts:
  - "*.wikipedia.org"
  ports:
  - number: 443
    name: tls
    protocol: TLS
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: mongo
spec:
  hosts:
  - mongo
  tcp:
  - route:
    - destination:
        host: mongo
      weight: 80
    - destination:
        host: ratings
        port:
          number: 9080
      weight: 20
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: wiki
spec:
  hosts:
  - "*.wikipedia.org"
  tls:
  - match:
    - port: 443
      sniHosts:
      - en.wikipedia.org
    route:
    - destination:
        host: "*.wikipedia.org"
`,
    pods,
  );
  const proxy = w.proxy(
    node('sidecar', '127.1.0.2', 'productpage-v1-0', 'default', { INTERCEPTION_MODE: 'REDIRECT' }),
  );
  const names = w.generate(proxy, 'type.googleapis.com/envoy.config.listener.v3.Listener').map((l) => l.name);
  assert.equal(new Set(names).size, names.length, `listener names are unique: ${names.join(', ')}`);
  const ls = w.listeners(proxy);
  assert.ok(ls.has('0.0.0.0_9080'));
  assert.ok(ls.has('virtualOutbound'));
  const inbound = ls.get('virtualInbound')!;
  const chain = (inbound.filterChains as Json[])[0]!;
  assert.deepEqual((chain.filterChainMatch as Json).destinationPort, { value: 9080 });
  const mongo = ls.get('10.0.0.20_27017')!;
  const tcp = ((mongo.filterChains as Json[])[0]!.filters as Json[])[0]!.typedConfig as Json;
  assert.deepEqual(
    ((tcp.weightedClusters as Json).clusters as Json[]).map((c) => [c.name, c.weight]),
    [
      ['outbound|27017||mongo.default.svc.cluster.local', 80],
      ['outbound|9080||ratings.default.svc.cluster.local', 20],
    ],
  );
  const wiki = ls.get('0.0.0.0_443')!;
  const chains = wiki.filterChains as Json[];
  assert.deepEqual((chains[0]!.filterChainMatch as Json).serverNames, ['en.wikipedia.org']);
  assert.equal(
    ((chains[0]!.filters as Json[])[0]!.typedConfig as Json).cluster,
    'outbound|443||*.wikipedia.org',
  );
  assert.equal((wiki.listenerFilters as Json[])[0]!.name, 'envoy.filters.listener.tls_inspector');
});

test('proxyless gRPC: API listeners for the names asked, route config named the same', async () => {
  const w = new World(bookinfo, pods);
  const proxy = w.proxy({
    id: 'grpc-client',
    metadata: { fields: { GENERATOR: { stringValue: 'grpc' }, NAMESPACE: { stringValue: 'default' } } },
  } as never);
  const { LISTENER_TYPE, ROUTE_TYPE } = await import('../envoy/index.ts');
  const ls = w.generate(proxy, LISTENER_TYPE, ['reviews:9080', 'nothere:1']);
  assert.deepEqual(
    ls.map((l) => l.name),
    ['reviews:9080'],
  );
  const api = (ls[0]!.apiListener as Json).apiListener as Json;
  assert.equal((api.rds as Json).routeConfigName, 'reviews:9080');
  const filters = (api.httpFilters as Json[]).map((f) => f.name);
  assert.deepEqual(filters, ['envoy.filters.http.fault', 'envoy.filters.http.router']);
  const rc = w.generate(proxy, ROUTE_TYPE, ['reviews:9080'])[0]!;
  const route = ((rc.virtualHosts as Json[])[0]!.routes as Json[])[0]!.route as Json;
  assert.equal(route.cluster, REVIEWS);
  assert.deepEqual((route.maxStreamDuration as Json).maxStreamDuration, { seconds: '0' });
});
