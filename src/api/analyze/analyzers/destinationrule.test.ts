import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, analyzeFixtures, summary } from '../testing.ts';

test('a routed-to subset whose labels select no workload is IST0173', () => {
  const ms = analyzeFixtures(['bookinfo/bookinfo.yaml', 'broken/subset-no-pods.yaml']).filter(
    (m) => m.code === 'IST0173',
  );
  assert.deepEqual(ms.map(summary), [
    'IST0173 DestinationRule default/reviews broken/subset-no-pods.yaml:14',
  ]);
  assert.equal(ms[0]!.level, 'Error');
  assert.match(ms[0]!.message, /^The Subset v4 defined in the DestinationRule does not select any pods/);
});

test('subsets that select workloads, or that no route uses, are not reported', () => {
  // Bookinfo's rules define ratings v2-mysql and details v2, which nothing deploys or routes to.
  assert.deepEqual(analyzeFixtures([...BOOKINFO, 'bookinfo/virtual-service-reviews-50-v3.yaml']), []);
});

test('a subset is matched together with the service selector, in the service namespace', () => {
  // subset-no-pods.yaml deploys version=v4 pods in staging and for ratings: neither is a reviews
  // pod of namespace default, so v4 stays empty. The canary subsets pick app=v1 / app=v2 among
  // the pods its Service selects (apply=canary).
  const ms = analyzeFixtures(['bookinfo/bookinfo.yaml', 'broken/subset-no-pods.yaml']);
  assert.ok(ms.some((m) => m.code === 'IST0173'));
  assert.deepEqual(analyzeFixtures(['canary/canary.yaml']), []);
});

test('subsets of a Service without selector are not checked against workloads', () => {
  assert.deepEqual(analyzeFixtures(['silent/service-without-selector.yaml']), []);
});

test('a DestinationRule for a host that is no service is IST0174', () => {
  const ms = analyzeFixtures(['bookinfo/bookinfo.yaml', 'broken/subset-no-pods.yaml']).filter(
    (m) => m.code === 'IST0174',
  );
  assert.deepEqual(ms.map(summary), [
    'IST0174 DestinationRule default/reveiws broken/subset-no-pods.yaml:35',
  ]);
  assert.equal(
    ms[0]!.message,
    'The host reveiws defined in the DestinationRule does not match any services in the mesh.',
  );
});

test('a DestinationRule naming one subset twice is rejected by validation (IST0106), at the name', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/destination-rules.yaml']).filter(
    (m) => m.code === 'IST0106',
  );
  assert.deepEqual(ms.map(summary), [
    'IST0106 DestinationRule default/details broken/destination-rules.yaml:16',
  ]);
  assert.match(ms[0]!.message, /subsets\[2\]\.name: subset "v1" is already defined by subsets\[0\]/);
});

test('rules for one host in one namespace: settings lost in the merge are a warning, a clean merge info', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/destination-rules.yaml']).filter(
    (m) => m.code !== 'IST0106',
  );
  assert.deepEqual(ms.map(summary), [
    'CVL1003 DestinationRule default/reviews-late broken/destination-rules.yaml:36',
    'CVL1004 DestinationRule default/reviews bookinfo/destination-rule-all.yaml:17',
    'CVL1004 DestinationRule default/reviews-circuit-breaker broken/destination-rules.yaml:25',
  ]);
  assert.equal(
    ms[0]!.message,
    'This DestinationRule is merged with older ones for host reviews.default.svc.cluster.local: its trafficPolicy ' +
      'is ignored in favour of default/reviews-circuit-breaker\'s; its subset "v2" is ignored in favour of default/reviews\'s.',
  );
  assert.equal(ms[1]!.level, 'Info');
});

test('rules for one host in different namespaces are not merged and not reported', () => {
  assert.deepEqual(analyzeFixtures([...BOOKINFO, 'silent/destination-rule-other-namespace.yaml']), []);
});
