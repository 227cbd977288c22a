import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FAULT_TYPE } from '../envoy/index.ts';
import type { Json } from './envoy-util.ts';
import type { PodSpec } from './fixtures/harness.ts';
import { node, reviewsSubsets, vhost, World } from './fixtures/harness.ts';

const bookinfo = readFileSync(new URL('./fixtures/bookinfo.yaml', import.meta.url), 'utf8');
const pods: PodSpec[] = [
  { name: 'productpage-v1-0', ip: '127.1.0.2', labels: { app: 'productpage', version: 'v1' } },
  { name: 'reviews-v1-0', ip: '127.1.0.3', labels: { app: 'reviews', version: 'v1' } },
  { name: 'reviews-v2-0', ip: '127.1.0.4', labels: { app: 'reviews', version: 'v2' } },
  { name: 'reviews-v3-0', ip: '127.1.0.5', labels: { app: 'reviews', version: 'v3' } },
  { name: 'ratings-v1-0', ip: '127.1.0.6', labels: { app: 'ratings', version: 'v1' } },
];
const PRODUCTPAGE = node('sidecar', '127.1.0.2', 'productpage-v1-0', 'default', {
  LABELS: { app: 'productpage', version: 'v1' },
});

const subsets = `
---
${reviewsSubsets('v1', 'v2', 'v3')}`;

function routesOf(w: World, host = 'reviews'): Json[] {
  const rc = w.route(w.proxy(PRODUCTPAGE), '9080');
  return vhost(rc, `${host}.default.svc.cluster.local:9080`).routes as Json[];
}

test('header match routes jason to v2, everyone else to v1 (request routing task)', () => {
  const w = new World(
    bookinfo +
      subsets +
      `---
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
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
`,
    pods,
  );
  const routes = routesOf(w);
  assert.equal(routes.length, 2);
  const m = routes[0]!.match as Json;
  assert.equal(m.prefix, '/');
  assert.deepEqual(m.headers, [{ name: 'end-user', stringMatch: { exact: 'jason' } }]);
  assert.equal((routes[0]!.route as Json).cluster, 'outbound|9080|v2|reviews.default.svc.cluster.local');
  assert.equal((routes[1]!.route as Json).cluster, 'outbound|9080|v1|reviews.default.svc.cluster.local');
  const proxy = w.proxy(PRODUCTPAGE);
  const clusters = w.clusters(proxy);
  for (const v of ['v1', 'v2', 'v3'])
    assert.ok(clusters.has(`outbound|9080|${v}|reviews.default.svc.cluster.local`));
  assert.deepEqual(w.endpoints(proxy, 'outbound|9080|v2|reviews.default.svc.cluster.local'), [
    '127.1.0.4:9080',
  ]);
});

test('weights, timeout, retries, fault, mirror, rewrite, headers and CORS translate as Istio does', () => {
  const w = new World(
    bookinfo +
      subsets +
      `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - name: canary
    match:
    - uri:
        prefix: /api
      ignoreUriCase: true
      method:
        exact: GET
      queryParams:
        debug:
          exact: "1"
      withoutHeaders:
        x-skip:
          regex: "*"
    rewrite:
      uri: /v2/api
      authority: reviews.internal
    route:
    - destination:
        host: reviews
        subset: v1
      weight: 90
      headers:
        request:
          set:
            x-canary: "false"
    - destination:
        host: reviews
        subset: v3
      weight: 10
    timeout: 2s
    retries:
      attempts: 3
      perTryTimeout: 500ms
      retryOn: gateway-error,503
    fault:
      delay:
        fixedDelay: 7s
        percentage:
          value: 12.5
      abort:
        httpStatus: 500
        percentage:
          value: 100
    mirror:
      host: ratings
    mirrorPercentage:
      value: 50
    headers:
      response:
        add:
          x-served-by: caravel
        remove:
        - server
    corsPolicy:
      allowOrigins:
      - exact: https://example.com
      allowMethods:
      - GET
      - POST
      maxAge: 24h
      allowCredentials: true
  - match:
    - uri:
        exact: /old
    redirect:
      uri: /new
      authority: reviews.example.com
      redirectCode: 302
  - match:
    - uri:
        regex: "^/health.*"
    directResponse:
      status: 200
      body:
        string: ok
`,
    pods,
  );
  const routes = routesOf(w);
  const r = routes[0]!;
  assert.equal(r.name, 'canary');
  const m = r.match as Json;
  assert.equal(m.prefix, '/api');
  assert.deepEqual(m.caseSensitive, { value: false });
  const headers = m.headers as Json[];
  assert.deepEqual(
    headers.map((h) => h.name),
    [':method', 'x-skip'],
  );
  assert.equal(headers[1]!.presentMatch, true);
  assert.equal(headers[1]!.invertMatch, true);
  assert.deepEqual((m.queryParameters as Json[])[0]!.stringMatch, { exact: '1' });
  const action = r.route as Json;
  const wc = (action.weightedClusters as Json).clusters as Json[];
  assert.deepEqual(
    wc.map((c) => [c.name, (c.weight as Json).value]),
    [
      ['outbound|9080|v1|reviews.default.svc.cluster.local', 90],
      ['outbound|9080|v3|reviews.default.svc.cluster.local', 10],
    ],
  );
  assert.deepEqual((wc[0]!.requestHeadersToAdd as Json[])[0]!.header, { key: 'x-canary', value: 'false' });
  assert.deepEqual(action.timeout, { seconds: '2' });
  assert.deepEqual(action.maxGrpcTimeout, { seconds: '2' });
  const retry = action.retryPolicy as Json;
  assert.equal(retry.retryOn, 'gateway-error,retriable-status-codes');
  assert.deepEqual(retry.retriableStatusCodes, [503]);
  assert.deepEqual(retry.numRetries, { value: 3 });
  assert.deepEqual(retry.perTryTimeout, { nanos: 500000000, seconds: '0' });
  assert.equal(action.prefixRewrite, '/v2/api');
  assert.equal(action.hostRewriteLiteral, 'reviews.internal');
  const mirror = (action.requestMirrorPolicies as Json[])[0]!;
  assert.equal(mirror.cluster, 'outbound|9080||ratings.default.svc.cluster.local');
  assert.deepEqual((mirror.runtimeFraction as Json).defaultValue, {
    numerator: 500000,
    denominator: 'MILLION',
  });
  const fault = (r.typedPerFilterConfig as Json)['envoy.filters.http.fault'] as Json;
  assert.equal(fault['@type'], FAULT_TYPE);
  assert.deepEqual((fault.delay as Json).fixedDelay, { seconds: '7' });
  assert.deepEqual((fault.delay as Json).percentage, { numerator: 125000, denominator: 'MILLION' });
  assert.equal((fault.abort as Json).httpStatus, 500);
  assert.deepEqual((fault.abort as Json).percentage, { numerator: 1000000, denominator: 'MILLION' });
  const cors = (r.typedPerFilterConfig as Json)['envoy.filters.http.cors'] as Json;
  assert.equal(cors.allowMethods, 'GET,POST');
  assert.equal(cors.maxAge, '86400');
  assert.deepEqual(cors.allowOriginStringMatch, [{ exact: 'https://example.com' }]);
  assert.deepEqual(r.responseHeadersToRemove, ['server']);
  assert.equal((r.responseHeadersToAdd as Json[])[0]!.appendAction, 'APPEND_IF_EXISTS_OR_ADD');

  const redirect = routes[1]!;
  assert.equal((redirect.match as Json).path, '/old');
  assert.deepEqual(redirect.redirect, {
    pathRedirect: '/new',
    hostRedirect: 'reviews.example.com',
    responseCode: 'FOUND',
  });
  const direct = routes[2]!;
  assert.deepEqual((direct.match as Json).safeRegex, { regex: '^/health.*' });
  assert.equal((direct.directResponse as Json).status, 200);
  assert.equal(((direct.directResponse as Json).body as Json).inlineString, 'ok');
});

test('attempts: 0 turns retries off; port and sourceLabels matches filter routes per proxy', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - sourceLabels:
        app: reviews
    route:
    - destination:
        host: ratings
    retries:
      attempts: 0
  - match:
    - port: 8080
    route:
    - destination:
        host: ratings
  - route:
    - destination:
        host: ratings
`,
    pods,
  );
  const routes = routesOf(w, 'ratings');
  // productpage is not labelled app=reviews and the port is 9080: only the catch-all applies.
  assert.equal(routes.length, 1);
  assert.equal((routes[0]!.route as Json).cluster, 'outbound|9080||ratings.default.svc.cluster.local');
  const reviews = w.proxy(
    node('sidecar', '127.1.0.3', 'reviews-v1-0', 'default', { LABELS: { app: 'reviews' } }),
  );
  const rr = vhost(w.route(reviews, '9080'), 'ratings.default.svc.cluster.local:9080').routes as Json[];
  assert.equal(rr.length, 2);
  assert.equal((rr[0]!.route as Json).retryPolicy, undefined);
});

test('several VirtualServices for one host merge in order; delegates are inlined', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-a
  creationTimestamp: "2024-01-01T00:00:00Z"
spec:
  hosts:
  - reviews
  http:
  - match:
    - uri:
        prefix: /a
    route:
    - destination:
        host: reviews
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-b
  creationTimestamp: "2024-01-02T00:00:00Z"
spec:
  hosts:
  - reviews
  http:
  - match:
    - uri:
        prefix: /b
    delegate:
      name: reviews-b-delegate
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-b-delegate
spec:
  http:
  - match:
    - uri:
        prefix: /b/x
    route:
    - destination:
        host: ratings
  - match:
    - uri:
        prefix: /elsewhere
    route:
    - destination:
        host: ratings
`,
    pods,
  );
  const routes = routesOf(w);
  assert.deepEqual(
    routes.map((r) => (r.match as Json).prefix),
    ['/a', '/b/x'],
  );
  assert.equal((routes[1]!.route as Json).cluster, 'outbound|9080||ratings.default.svc.cluster.local');
});
