import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, analyzeFixtures, summary } from '../testing.ts';

test('a Gateway selector that matches no gateway workload is IST0101, at the selector', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/gateway-selector.yaml']);
  assert.deepEqual(ms.map(summary), ['IST0101 Gateway default/typo-gateway broken/gateway-selector.yaml:8']);
  assert.equal(ms[0]!.message, 'Referenced selector not found: "istio=ingress-gateway"');
});

test('the ingress gateway of local mode counts as a workload by default', () => {
  assert.deepEqual(analyzeFixtures(BOOKINFO), []);
});

test('without the built-in ingress gateway, istio=ingressgateway needs a deployed workload', () => {
  const ms = analyzeFixtures(BOOKINFO, { allNamespaces: true, builtinIngressGateway: false });
  assert.deepEqual(ms.map(summary), [
    'IST0101 Gateway default/bookinfo-gateway bookinfo/bookinfo-gateway.yaml:7',
  ]);
  assert.equal(ms[0]!.message, 'Referenced selector not found: "istio=ingressgateway"');
  const deployed = analyzeFixtures([...BOOKINFO, 'silent/own-ingress-gateway.yaml'], {
    allNamespaces: true,
    builtinIngressGateway: false,
  });
  assert.deepEqual(deployed, []);
});
