import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, analyzeFixtures, summary } from '../testing.ts';

test('a namespace without istio-injection whose services routes send traffic to is IST0102 (info)', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/namespaces.yaml']);
  assert.deepEqual(ms.map(summary), ['IST0102 Namespace default broken/namespaces.yaml:6']);
  assert.equal(ms[0]!.level, 'Info');
  assert.match(ms[0]!.message, /Run 'caravel label namespace default istio-injection=enabled' to enable it/);
});

test('labelled namespaces (enabled or disabled) and namespaces nothing routes to are not reported', () => {
  // shop is enabled, quiet is disabled (and mirrored to), idle has no routed services.
  const ms = analyzeFixtures(['broken/namespaces.yaml']);
  assert.deepEqual(ms, []);
});
