import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnalyzerRegistry,
  analyze,
  analyzeTexts,
  builtinAnalyzers,
  formatMessage,
  hasErrorMessages,
  messagesToJson,
  messageTypes,
  registerAnalyzers,
} from './index.ts';
import { BOOKINFO, analyzeFixtures, summary } from './testing.ts';

test('Bookinfo analyses clean with each of the reviews routes of the request-routing task', () => {
  for (const routes of [
    [],
    ['bookinfo/virtual-service-reviews-test-v2.yaml'],
    ['bookinfo/virtual-service-reviews-50-v3.yaml'],
  ]) {
    assert.deepEqual(analyzeFixtures([...BOOKINFO, ...routes]).map(formatMessage), [], routes.join());
  }
});

test('the weighted canary (two versions, Service, gateway, 90/10 routes, subsets) analyses clean', () => {
  assert.deepEqual(analyzeFixtures(['canary/canary.yaml']).map(formatMessage), []);
  assert.deepEqual(analyzeFixtures([...BOOKINFO, 'canary/canary.yaml']).map(formatMessage), []);
});

test('messages print as istioctl prints them: level, code, resource, file:line, text', () => {
  const [m] = analyzeFixtures([...BOOKINFO, 'broken/host-not-found.yaml']);
  assert.equal(
    formatMessage(m!),
    'Error [IST0101] (VirtualService default/reviews broken/host-not-found.yaml:12) Referenced host not found: "reviews2"',
  );
});

test('messages come errors first, then warnings, then info, each group by code', () => {
  const ms = analyzeFixtures([
    ...BOOKINFO,
    'broken/rules.yaml',
    'broken/weights.yaml',
    'broken/namespaces.yaml',
  ]);
  const levels = ms.map((m) => m.level);
  assert.deepEqual(
    levels,
    [...levels].sort(
      (a, b) => ['Error', 'Warning', 'Info'].indexOf(a) - ['Error', 'Warning', 'Info'].indexOf(b),
    ),
  );
  assert.ok(levels.includes('Error') && levels.includes('Warning') && levels.includes('Info'));
  const errors = ms.filter((m) => m.level === 'Error').map((m) => m.code);
  assert.deepEqual(errors, [...errors].sort());
});

test('a document that fails validation is reported as IST0106 and the others are still analysed', () => {
  const text = [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata:',
    '  name: nginx-vs',
    'spec:',
    '  hosts:',
    '  - nginx-svc',
    '  http:',
    '  - route:',
    '    - destination:',
    '        host: nginx-svc',
    '    timeoutt: 2s',
    '---',
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata:',
    '  name: tomcat-vs',
    'spec:',
    '  hosts:',
    '  - tomcat-svc',
    '  http:',
    '  - route:',
    '    - destination:',
    '        host: tomcat-svc',
  ].join('\n');
  const { messages, resources } = analyzeTexts([{ file: 'vs.yaml', text }]);
  assert.deepEqual(
    resources.map((r) => r.metadata.name),
    ['tomcat-vs'],
  );
  assert.deepEqual(messages.map(summary), [
    'IST0106 VirtualService default/nginx-vs vs.yaml:12',
    'IST0101 VirtualService default/tomcat-vs vs.yaml:24',
  ]);
  assert.match(
    messages[0]!.message,
    /^Schema validation error: spec\.http\[0\]\.timeoutt: unknown field "timeoutt" \(did you mean "timeout"\?\)$/,
  );
});

test('only messages about the namespace asked for are kept, unless all namespaces are', () => {
  const files = [...BOOKINFO, 'broken/other-namespace.yaml', 'broken/peer-authentication.yaml'];
  const inDefault = analyzeFixtures(files, { namespace: 'default' });
  assert.ok(inDefault.length > 0);
  assert.ok(inDefault.every((m) => m.resource?.namespace === 'default'));
  // As with kubectl, -n also places the resources that name no namespace: Bookinfo lands in shop,
  // so the short "details" resolves there and details.default.svc.cluster.local does not.
  const inShop = analyzeFixtures(files, { namespace: 'shop' });
  assert.deepEqual(inShop.map(summary), [
    'IST0101 VirtualService shop/details broken/other-namespace.yaml:21',
  ]);
  assert.equal(inShop[0]!.message, 'Referenced host not found: "details.default.svc.cluster.local"');
  const all = analyzeFixtures(files, { allNamespaces: true });
  assert.ok(all.length > inDefault.length + inShop.length);
});

test('a resource given twice counts once, the later one winning, as repeated applies would', () => {
  // The 50/50 route replaces all-v1's reviews route, then the jason route replaces that.
  const ms = analyzeFixtures([
    ...BOOKINFO,
    'bookinfo/virtual-service-reviews-50-v3.yaml',
    'bookinfo/virtual-service-reviews-test-v2.yaml',
  ]);
  assert.deepEqual(ms, [], 'no IST0109 between the three VirtualServices named reviews');
});

test('the JSON form carries code, level, origin and position', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/host-not-found.yaml']);
  const json = JSON.parse(JSON.stringify(messagesToJson(ms))) as Record<string, unknown>[];
  assert.deepEqual(json[0], {
    code: 'IST0101',
    name: 'ReferencedResourceNotFound',
    level: 'Error',
    message: 'Referenced host not found: "reviews2"',
    origin: 'VirtualService default/reviews broken/host-not-found.yaml:12',
    resource: { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
    file: 'broken/host-not-found.yaml',
    line: 12,
    analyzer: 'virtualservice.DestinationHostAnalyzer',
  });
  assert.equal(hasErrorMessages(ms), true);
  assert.equal(hasErrorMessages(ms.filter((m) => m.level !== 'Error')), false);
});

test('resources without source text are analysed too, located at no line', () => {
  const { resources } = analyzeTexts([
    {
      file: 'x.yaml',
      text: 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  selector:\n    app: none\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["*"]\n',
    },
  ]);
  const bare = resources.map((r) => ({ ...r, source: undefined }));
  const [m] = analyze(bare);
  assert.equal(
    formatMessage(m!),
    'Error [IST0101] (Gateway default/gw) Referenced selector not found: "app=none"',
  );
});

test('Caravel codes sit in their own range, apart from Istio codes', () => {
  for (const t of messageTypes) assert.match(t.code, /^(IST0\d{3}|CVL1\d{3})$/, t.code);
  assert.equal(new Set(messageTypes.map((t) => t.code)).size, messageTypes.length);
});

test('analyzers register by name in a registry; a chosen set runs, and a name cannot be taken twice', () => {
  const registry = new AnalyzerRegistry();
  registerAnalyzers(registry);
  assert.equal(registry.all().length, builtinAnalyzers().all().length);
  assert.throws(() => registerAnalyzers(registry), /registered twice/);
  const onlySelectors = builtinAnalyzers()
    .all()
    .filter((a) => a.name === 'gateway.SelectorAnalyzer');
  const ms = analyzeFixtures([...BOOKINFO, 'broken/gateway-selector.yaml', 'broken/weights.yaml'], {
    allNamespaces: true,
    analyzers: onlySelectors,
  });
  assert.deepEqual(
    ms.map((m) => `${m.analyzer} ${m.code}`),
    ['gateway.SelectorAnalyzer IST0101'],
  );
});
