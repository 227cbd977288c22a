// The samples' YAML validates clean and says what the exercises need.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadFiles } from '../src/api/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

function load(path: string) {
  const result = loadFiles([`${here}${path}`]);
  assert.deepEqual(result.issues, [], `${path} has issues`);
  // Plain data, so the test can look at fields by their Istio names.
  return result.resources.map((r) => JSON.parse(JSON.stringify(r)));
}

function find(resources: ReturnType<typeof load>, kind: string, name: string) {
  const r = resources.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(r, `${kind} ${name}`);
  return r;
}

describe('sample manifests', () => {
  it('bookinfo.yaml has the four services on 9080, their accounts, and reviews v1/v2/v3', () => {
    const rs = load('bookinfo/platform/bookinfo.yaml');
    const names = (kind: string) =>
      rs
        .filter((r) => r.kind === kind)
        .map((r) => r.metadata.name)
        .sort();
    assert.deepEqual(names('Service'), ['details', 'productpage', 'ratings', 'reviews']);
    assert.deepEqual(names('ServiceAccount'), [
      'bookinfo-details',
      'bookinfo-productpage',
      'bookinfo-ratings',
      'bookinfo-reviews',
    ]);
    assert.deepEqual(names('Deployment'), [
      'details-v1',
      'productpage-v1',
      'ratings-v1',
      'reviews-v1',
      'reviews-v2',
      'reviews-v3',
    ]);
    for (const s of rs.filter((r) => r.kind === 'Service')) assert.equal(s.spec.ports[0].port, 9080);
    const v3 = find(rs, 'Deployment', 'reviews-v3');
    assert.match(
      v3.spec.template.spec.containers[0].image,
      /^docker\.io\/istio\/examples-bookinfo-reviews-v3:1\./,
    );
  });

  it('the networking tasks carry the exercises’ numbers', () => {
    const rs = load('bookinfo/networking');
    assert.equal(rs.filter((r) => r.kind === 'VirtualService').length, 14);
    const delay = rs.find(
      (r) => r.kind === 'VirtualService' && r.source.file.endsWith('ratings-test-delay.yaml'),
    );
    assert.equal(delay.spec.http[0].match[0].headers['end-user'].exact, 'jason');
    assert.equal(delay.spec.http[0].fault.delay.fixedDelay, 7000);
    const abort = rs.find(
      (r) => r.kind === 'VirtualService' && r.source.file.endsWith('ratings-test-abort.yaml'),
    );
    assert.equal(abort.spec.http[0].fault.abort.httpStatus, 500);
    const canary = rs.find(
      (r) => r.kind === 'VirtualService' && r.source.file.endsWith('reviews-90-10.yaml'),
    );
    assert.deepEqual(
      canary.spec.http[0].route.map((d: { weight: number }) => d.weight),
      [90, 10],
    );
  });

  it('the circuit breaker, timeout and retry manifests hold the seeds’ numbers', () => {
    const cb = find(load('httpbin/destination-rule-circuit-breaker.yaml'), 'DestinationRule', 'httpbin');
    assert.equal(cb.spec.trafficPolicy.connectionPool.tcp.maxConnections, 1);
    assert.equal(cb.spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests, 1);
    assert.equal(cb.spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection, 1);
    assert.equal(cb.spec.trafficPolicy.outlierDetection.consecutiveGatewayErrors, 1);
    assert.equal(cb.spec.trafficPolicy.outlierDetection.interval, 1000);
    assert.equal(cb.spec.trafficPolicy.outlierDetection.baseEjectionTime, 180_000);
    assert.equal(cb.spec.trafficPolicy.outlierDetection.maxEjectionPercent, 100);
    const timeout = load('timeout-demo/virtual-service-timeout.yaml');
    assert.equal(find(timeout, 'VirtualService', 'nginx-vs').spec.http[0].timeout, 2000);
    assert.equal(find(timeout, 'VirtualService', 'tomcat-vs').spec.http[0].fault.delay.fixedDelay, 10_000);
    const retries = load('timeout-demo/virtual-service-retries.yaml');
    assert.deepEqual(find(retries, 'VirtualService', 'nginx-vs').spec.http[0].retries, {
      attempts: 3,
      perTryTimeout: 2000,
    });
    assert.equal(find(retries, 'VirtualService', 'tomcat-vs').spec.http[0].fault.abort.httpStatus, 503);
  });

  it('every sample manifest validates clean', () => {
    const rs = load('.');
    assert.ok(rs.length >= 59, `${rs.length} resources`);
  });
});
