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
];
const PRODUCTPAGE = node('sidecar', '127.1.0.2', 'productpage-v1-0');
const host = 'reviews.default.svc.cluster.local';

const rule = `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      simple: LEAST_REQUEST
    connectionPool:
      tcp:
        maxConnections: 1
        connectTimeout: 250ms
        tcpKeepalive:
          probes: 3
          time: 7200s
          interval: 75s
      http:
        http1MaxPendingRequests: 1
        http2MaxRequests: 10
        maxRequestsPerConnection: 1
        maxRetries: 2
        idleTimeout: 30s
    outlierDetection:
      consecutive5xxErrors: 1
      consecutiveGatewayErrors: 0
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
    portLevelSettings:
    - port:
        number: 9080
      loadBalancer:
        consistentHash:
          httpHeaderName: x-user
          ringHash:
            minimumRingSize: 2048
      connectionPool:
        tcp:
          maxConnections: 5
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      loadBalancer:
        simple: RANDOM
`;

test('port-level settings replace the host-level sections for their port (circuit breaker task)', () => {
  const w = new World(bookinfo + rule, pods);
  const proxy = w.proxy(PRODUCTPAGE);
  const c = w.clusters(proxy).get(`outbound|9080||${host}`)!;
  // Port 9080 has port-level settings: connectionPool and loadBalancer from there, nothing else.
  assert.equal(c.lbPolicy, 'RING_HASH');
  assert.deepEqual((c.ringHashLbConfig as Json).minimumRingSize, { value: '2048' });
  const t = ((c.circuitBreakers as Json).thresholds as Json[])[0]!;
  assert.deepEqual(t.maxConnections, { value: 5 });
  assert.deepEqual(t.maxPendingRequests, { value: 4294967295 });
  assert.equal(c.outlierDetection, undefined);
  const routes = vhost(w.route(proxy, '9080'), `${host}:9080`).routes as Json[];
  const action = routes[0]!.route as Json;
  assert.deepEqual(action.hashPolicy, [{ header: { headerName: 'x-user' } }]);
  // Consistent hashing keeps retries on the same host.
  assert.equal((action.retryPolicy as Json).retryHostPredicate, undefined);
});

test('host-level connection pool, outlier detection and subset overrides map to Envoy fields', () => {
  const w = new World(bookinfo + rule.replace(/ {4}portLevelSettings:[\s\S]*?(?= {2}subsets:)/, ''), pods);
  const proxy = w.proxy(PRODUCTPAGE);
  const clusters = w.clusters(proxy);
  const c = clusters.get(`outbound|9080||${host}`)!;
  assert.equal(c.lbPolicy, 'LEAST_REQUEST');
  assert.deepEqual(c.connectTimeout, { nanos: 250000000, seconds: '0' });
  const t = ((c.circuitBreakers as Json).thresholds as Json[])[0]!;
  assert.deepEqual(
    [t.maxConnections, t.maxPendingRequests, t.maxRequests, t.maxRetries],
    [{ value: 1 }, { value: 1 }, { value: 10 }, { value: 2 }],
  );
  const keepalive = (c.upstreamConnectionOptions as Json).tcpKeepalive as Json;
  assert.deepEqual(keepalive, {
    keepaliveProbes: { value: 3 },
    keepaliveTime: { value: 7200 },
    keepaliveInterval: { value: 75 },
  });
  const opts = (c.typedExtensionProtocolOptions as Json)[
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
  ] as Json;
  const common = opts.commonHttpProtocolOptions as Json;
  assert.deepEqual(common.maxRequestsPerConnection, { value: 1 });
  assert.deepEqual(common.idleTimeout, { seconds: '30' });
  const od = c.outlierDetection as Json;
  assert.deepEqual(od.consecutive_5xx ?? od.consecutive5xx, { value: 1 });
  assert.deepEqual(od.enforcingConsecutive_5xx ?? od.enforcingConsecutive5xx, { value: 100 });
  assert.deepEqual(od.consecutiveGatewayFailure, { value: 0 });
  assert.deepEqual(od.enforcingConsecutiveGatewayFailure, { value: 0 });
  assert.deepEqual(od.enforcingSuccessRate, { value: 0 });
  assert.deepEqual(od.interval, { seconds: '1' });
  assert.deepEqual(od.baseEjectionTime, { seconds: '180' });
  assert.deepEqual(od.maxEjectionPercent, { value: 100 });
  assert.deepEqual((c.commonLbConfig as Json).healthyPanicThreshold, { value: 0 });
  // The subset inherits the host policy and overrides only its load balancer.
  const v2 = clusters.get(`outbound|9080|v2|${host}`)!;
  assert.equal(v2.lbPolicy, 'RANDOM');
  assert.deepEqual(((v2.circuitBreakers as Json).thresholds as Json[])[0]!.maxConnections, { value: 1 });
  assert.deepEqual(w.endpoints(proxy, `outbound|9080|v1|${host}`), ['127.1.0.3:9080']);
  // An undefined subset gets no endpoints.
  assert.deepEqual(w.endpoints(proxy, `outbound|9080|v9|${host}`), []);
});

test('ServiceEntry hosts: DNS resolution gives a STRICT_DNS cluster, NONE an ORIGINAL_DST one', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin-ext
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 80
    name: http
    protocol: HTTP
  resolution: DNS
  location: MESH_EXTERNAL
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: any-tls
spec:
  hosts:
  - "*.example.com"
  ports:
  - number: 443
    name: tls
    protocol: TLS
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: static
spec:
  hosts:
  - db.internal
  ports:
  - number: 5432
    name: tcp
    protocol: TCP
  resolution: STATIC
  location: MESH_INTERNAL
  endpoints:
  - address: 10.1.0.1
  - address: 10.1.0.2
    ports:
      tcp: 15432
`,
    pods,
  );
  const proxy = w.proxy(PRODUCTPAGE);
  const clusters = w.clusters(proxy);
  const dns = clusters.get('outbound|80||httpbin.org')!;
  assert.equal(dns.type, 'STRICT_DNS');
  const la = (((dns.loadAssignment as Json).endpoints as Json[])[0]!.lbEndpoints as Json[]).map(
    (e) => ((e.endpoint as Json).address as Json).socketAddress as Json,
  );
  assert.deepEqual(
    la.map((a) => `${a.address}:${a.portValue}`),
    ['httpbin.org:80'],
  );
  assert.equal(clusters.get('outbound|443||*.example.com')?.type, 'ORIGINAL_DST');
  assert.equal(clusters.get('outbound|5432||db.internal')?.type, 'EDS');
  assert.deepEqual(w.endpoints(proxy, 'outbound|5432||db.internal'), ['10.1.0.1:5432', '10.1.0.2:15432']);
  const vh = vhost(w.route(proxy, 'http_proxy'), 'httpbin.org:80');
  assert.ok((vh.domains as string[]).includes('httpbin.org'));
});

test('REGISTRY_ONLY (Sidecar outboundTrafficPolicy) answers 502 for unknown hosts; egress hosts scope services', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
spec:
  egress:
  - hosts:
    - "./reviews.default.svc.cluster.local"
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
`,
    pods,
  );
  const proxy = w.proxy(PRODUCTPAGE);
  const rc = w.route(proxy, 'http_proxy');
  const names = (rc.virtualHosts as Json[]).map((v) => v.name);
  assert.deepEqual(names, [`${host}:9080`, 'block_all']);
  assert.deepEqual((vhost(rc, 'block_all').routes as Json[])[0]!.directResponse, { status: 502 });
  const clusters = [...w.clusters(proxy).keys()].filter((n) => n.startsWith('outbound'));
  assert.deepEqual(clusters, [`outbound|9080||${host}`]);
});
