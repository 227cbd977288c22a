// The networking manifests of the study notes Caravel must accept (or refuse) as Istio does,
// reproduced as fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationRule, Gateway, Sidecar, VirtualService } from './index.ts';
import { loadFixture } from './fixtures/check.ts';

function valid(name: string) {
  const r = loadFixture(name);
  assert.deepEqual(r.issues, [], `${name} should load cleanly`);
  return r.resources;
}

test('Bookinfo gateway and VirtualService load, normalised to v1', () => {
  const [gw, vs] = valid('bookinfo-gateway.yaml') as [Gateway, VirtualService];
  assert.equal(gw.apiVersion, 'networking.istio.io/v1');
  assert.equal(gw.source?.apiVersion, 'networking.istio.io/v1alpha3');
  assert.equal(gw.metadata.namespace, 'default');
  assert.deepEqual(gw.spec.selector, { istio: 'ingressgateway' });
  assert.deepEqual(gw.spec.servers[0]?.port, { number: 80, name: 'http', protocol: 'HTTP' });
  assert.deepEqual(vs.spec.gateways, ['bookinfo-gateway']);
  assert.deepEqual(
    vs.spec.http?.[0]?.match?.map((m) => m.uri),
    [
      { exact: '/productpage' },
      { prefix: '/static' },
      { exact: '/login' },
      { exact: '/logout' },
      { prefix: '/api/v1/products' },
    ],
  );
  assert.deepEqual(vs.spec.http?.[0]?.route?.[0]?.destination, {
    host: 'productpage',
    port: { number: 9080 },
  });
  assert.ok(Object.isFrozen(vs.spec.http));
});

test('header-based A/B routing for end-user john and jason', () => {
  for (const [file, user] of [
    ['reviews-ab-testing.yaml', 'john'],
    ['reviews-jason.yaml', 'jason'],
  ] as const) {
    const vs = valid(file)[0] as VirtualService;
    const [first, rest] = vs.spec.http ?? [];
    assert.deepEqual(first?.match?.[0]?.headers, { 'end-user': { exact: user } });
    assert.equal(first?.route?.[0]?.destination.subset, 'v2');
    assert.equal(rest?.match, undefined);
    assert.equal(rest?.route?.[0]?.destination.subset, 'v1');
  }
  const dr = valid('reviews-jason.yaml')[1] as DestinationRule;
  assert.equal(dr.spec.trafficPolicy?.loadBalancer?.simple, 'ROUND_ROBIN');
});

test('all-v1, destination-rule-all and the 50/50 split load', () => {
  const vss = valid('virtual-service-all-v1.yaml') as VirtualService[];
  assert.deepEqual(
    vss.map((v) => v.spec.http?.[0]?.route?.[0]?.destination),
    ['productpage', 'reviews', 'ratings', 'details'].map((host) => ({ host, subset: 'v1' })),
  );
  const drs = valid('destination-rule-all.yaml') as DestinationRule[];
  assert.deepEqual(
    drs[2]?.spec.subsets?.map((s) => s.name),
    ['v1', 'v2', 'v2-mysql', 'v2-mysql-vm'],
  );
  const split = valid('reviews-50-v3.yaml')[0] as VirtualService;
  assert.deepEqual(
    split.spec.http?.[0]?.route?.map((d) => [d.destination.subset, d.weight]),
    [
      ['v1', 50],
      ['v3', 50],
    ],
  );
});

test('canary 90/10 through a gateway with its subsets', () => {
  const [, vs, dr] = valid('canary.yaml') as [Gateway, VirtualService, DestinationRule];
  assert.deepEqual(
    vs.spec.http?.[0]?.route?.map((d) => d.weight),
    [90, 10],
  );
  assert.deepEqual(dr.spec.subsets?.[1], { name: 'v2', labels: { app: 'v2' } });
});

test('circuit breakers: connection pools and outlier detection, durations in milliseconds', () => {
  const httpbin = valid('httpbin-circuit-breaker.yaml')[0] as DestinationRule;
  assert.deepEqual(httpbin.spec.trafficPolicy?.connectionPool, {
    tcp: { maxConnections: 1 },
    http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
  });
  assert.deepEqual(httpbin.spec.trafficPolicy?.outlierDetection, {
    consecutiveGatewayErrors: 1,
    interval: 1000,
    baseEjectionTime: 180_000,
    maxEjectionPercent: 100,
  });
  const reviews = valid('reviews-circuit-breaker.yaml')[0] as DestinationRule;
  assert.deepEqual(reviews.spec.trafficPolicy?.outlierDetection, {
    consecutive5xxErrors: 3,
    interval: 10_000,
    baseEjectionTime: 30_000,
  });
});

test('fault injection (delay and abort) and retries', () => {
  const delay = valid('tomcat-delay.yaml')[0] as VirtualService;
  assert.deepEqual(delay.spec.http?.[0]?.fault, {
    delay: { fixedDelay: 10_000, percentage: { value: 100 } },
  });
  const [retry, abort] = valid('retries-and-abort.yaml') as VirtualService[];
  assert.deepEqual(retry?.spec.http?.[0]?.retries, { attempts: 3, perTryTimeout: 2000 });
  assert.deepEqual(abort?.spec.http?.[0]?.fault, { abort: { percentage: { value: 100 }, httpStatus: 503 } });
});

test('timeout written inside the route list is reported at the list line, naming timeout and route', () => {
  const r = loadFixture('timeout-inside-route.yaml');
  assert.equal(r.issues.length, 1);
  const [issue] = r.issues;
  assert.equal(issue?.file, 'fixtures/timeout-inside-route.yaml');
  assert.equal(issue?.line, 11);
  assert.equal(issue?.code, 'yaml-structure');
  assert.match(issue?.message ?? '', /"- destination:" cannot go here/);
  assert.match(issue?.message ?? '', /line 10, "timeout: 2s"/);
  assert.match(issue?.message ?? '', /belongs to "route:" \(line 9\)/);
  assert.match(issue?.hint ?? '', /"timeout" is not part of "route"/);
  // The other document of the file is unaffected.
  assert.deepEqual(
    r.resources.map((x) => x.metadata.name),
    ['tomcat-vs'],
  );
});

test('Sidecar egress hosts in namespace/host form', () => {
  const sc = valid('sidecar-egress.yaml')[0] as Sidecar;
  assert.deepEqual(sc.spec.egress?.[0]?.hosts, [
    '*/product-service.shop.svc.cluster.local',
    '*/order-service.shop.svc.cluster.local',
    'istio-system/*',
  ]);
});

test('Sidecar egress hosts with short names are refused, as Istio refuses them', () => {
  const r = loadFixture('sidecar-short-hosts.yaml');
  assert.equal(r.resources.length, 0);
  assert.deepEqual(
    r.issues.map((i) => [i.line, i.path, i.code]),
    [
      [9, 'spec.egress[0].hosts[0]', 'invalid-host'],
      [10, 'spec.egress[0].hosts[1]', 'invalid-host'],
    ],
  );
  assert.match(r.issues[0]?.message ?? '', /"product-service" is a short name/);
  assert.equal(
    r.issues[0]?.hint,
    'write "*/product-service.<namespace>.svc.cluster.local", with the service\'s namespace',
  );
});
