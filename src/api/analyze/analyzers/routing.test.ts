import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, analyzeFixtures, summary } from '../testing.ts';

test('weights that do not sum to 100 are a warning naming the shares Istio will use', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/weights.yaml']);
  assert.deepEqual(ms.map(summary), [
    'CVL1001 VirtualService default/reviews broken/weights.yaml:11',
    'CVL1002 VirtualService default/ratings broken/weights.yaml:32',
  ]);
  assert.equal(ms[0]!.level, 'Warning');
  assert.equal(
    ms[0]!.message,
    'The weights of http[0].route sum to 120, not 100; traffic is split in proportion to them (reviews v1 50%, reviews v2 50%).',
  );
  assert.match(ms[1]!.message, /only destination of http\[0\]\.route has weight 50/);
});

test('weights of 50/50 and 90/10, and lone destinations without weight, are not reported', () => {
  assert.deepEqual(analyzeFixtures([...BOOKINFO, 'bookinfo/virtual-service-reviews-50-v3.yaml']), []);
  assert.deepEqual(analyzeFixtures(['canary/canary.yaml']), []);
});

test('rules after a rule without match, and matches repeated from earlier rules, are reported', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/rules.yaml']).filter(
    (m) => m.resource?.name === 'reviews',
  );
  assert.deepEqual(ms.map(summary), [
    'IST0130 VirtualService default/reviews broken/rules.yaml:33',
    'IST0131 VirtualService default/reviews broken/rules.yaml:20',
  ]);
  assert.equal(
    ms[0]!.message,
    'VirtualService rule "never" not used (only the last rule can have no matches).',
  );
  assert.equal(
    ms[1]!.message,
    'VirtualService rule "jason-again" match #0 is not used (duplicate/overlapping match in rule #0).',
  );
});

test('a match first, then a catch-all last, is fine', () => {
  assert.deepEqual(analyzeFixtures([...BOOKINFO, 'bookinfo/virtual-service-reviews-test-v2.yaml']), []);
});

test('two mesh VirtualServices for one host are IST0109; two on one gateway for one host a warning', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/conflicting-virtualservices.yaml']);
  assert.deepEqual(ms.map(summary), [
    'IST0109 VirtualService default/reviews bookinfo/virtual-service-all-v1.yaml:17',
    'IST0109 VirtualService default/reviews-extra broken/conflicting-virtualservices.yaml:5',
    'CVL1005 VirtualService default/bookinfo bookinfo/bookinfo-gateway.yaml:19',
    'CVL1005 VirtualService default/bookinfo-extra broken/conflicting-virtualservices.yaml:18',
  ]);
  assert.match(
    ms[0]!.message,
    /^The VirtualServices default\/reviews,default\/reviews-extra associated with mesh gateway define the same host reviews\.default\.svc\.cluster\.local /,
  );
  assert.match(ms[2]!.message, /bound to gateway default\/bookinfo-gateway define the same host \*/);
});

test('the same host on different gateways is not a conflict', () => {
  // Bookinfo and the canary both serve "*", on bookinfo-gateway and canary-gateway.
  assert.deepEqual(analyzeFixtures([...BOOKINFO, 'canary/canary.yaml']), []);
});
