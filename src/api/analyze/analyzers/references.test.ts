import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, analyzeFixtures, summary } from '../testing.ts';

const only = (code: string, files: string[]) => analyzeFixtures(files).filter((m) => m.code === code);

test('a VirtualService bound to a gateway that does not exist is IST0101, at the gateway line', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/gateway-not-found.yaml']);
  assert.deepEqual(ms.map(summary), [
    'IST0101 VirtualService default/bookinfo-match broken/gateway-not-found.yaml:47',
    'IST0101 VirtualService default/bookinfo-typo broken/gateway-not-found.yaml:10',
    'IST0101 VirtualService default/bookinfo-typo broken/gateway-not-found.yaml:12',
  ]);
  assert.deepEqual(
    ms.map((m) => m.message),
    [
      'Referenced gateway not found: "ghost-gateway"',
      'Referenced gateway not found: "bookinfo-gatewy"',
      'Referenced gateway not found: "istio-system/bookinfo-gateway"',
    ],
  );
});

test('gateways named "mesh", by short name or by namespace/name are found', () => {
  // bookinfo-qualified uses default/bookinfo-gateway and mesh; Bookinfo's own VS the short name.
  const ms = analyzeFixtures([...BOOKINFO, 'broken/gateway-not-found.yaml']);
  assert.ok(ms.every((m) => m.resource?.name !== 'bookinfo-qualified'));
  assert.deepEqual(analyzeFixtures(BOOKINFO), []);
});

test('VirtualService hosts that the gateway does not serve are IST0132', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/gateway-hosts.yaml']);
  assert.deepEqual(ms.map(summary), ['IST0132 VirtualService default/shop broken/gateway-hosts.yaml:31']);
  assert.equal(
    ms[0]!.message,
    'one or more host [www.example.com api.example.com] defined in VirtualService default/shop not found in Gateway default/shop-gateway.',
  );
  assert.equal(ms[0]!.level, 'Warning');
});

test('a destination host that is no Service or ServiceEntry host is IST0101, mirrors included', () => {
  const ms = only('IST0101', [...BOOKINFO, 'broken/host-not-found.yaml']);
  assert.deepEqual(ms.map(summary), [
    'IST0101 VirtualService default/reviews broken/host-not-found.yaml:12',
    'IST0101 VirtualService default/reviews broken/host-not-found.yaml:14',
  ]);
  assert.equal(ms[1]!.message, 'Referenced mirror host not found: "shadow"');
});

test('hosts found by FQDN, exact ServiceEntry host or ServiceEntry wildcard are not reported', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/host-not-found.yaml']);
  assert.ok(
    ms.every((m) => m.resource?.name === 'reviews'),
    ms.map(summary).join('\n'),
  );
});

test('a short host is relative to the VirtualService namespace', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/other-namespace.yaml']);
  assert.deepEqual(ms.map(summary), ['IST0101 VirtualService shop/details broken/other-namespace.yaml:18']);
  assert.equal(ms[0]!.message, 'Referenced host not found: "details"');
});

test('a destination port the service does not expose is IST0101; a missing one with several ports is IST0112', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/rules.yaml']).filter(
    (m) => m.resource?.name === 'two-ports',
  );
  assert.deepEqual(ms.map(summary), [
    'IST0101 VirtualService default/two-ports broken/rules.yaml:67',
    'IST0112 VirtualService default/two-ports broken/rules.yaml:70',
  ]);
  assert.equal(ms[0]!.message, 'Referenced host:port not found: "two-ports:9091"');
  assert.match(ms[1]!.message, /exposes multiple ports \[9080 9090\]/);
});

test('a subset no DestinationRule defines for the host is IST0101, at the subset line', () => {
  const ms = only('IST0101', [...BOOKINFO, 'broken/subset-not-found.yaml']);
  assert.deepEqual(ms.map(summary), [
    'IST0101 VirtualService default/reviews broken/subset-not-found.yaml:13',
    'IST0101 VirtualService default/reviews broken/subset-not-found.yaml:21',
  ]);
  assert.deepEqual(
    ms.map((m) => m.message),
    [
      'Referenced host+subset in destinationrule not found: "reviews+v4"',
      'Referenced mirror+subset in destinationrule not found: "ratings+v9"',
    ],
  );
});

test('subsets match across short and FQDN spellings of the host, in tcp routes too', () => {
  // reviews.default.svc.cluster.local+v3 and details.default.svc.cluster.local+v1 are defined by
  // rules written for "reviews" and "details".
  const ms = only('IST0101', [...BOOKINFO, 'broken/subset-not-found.yaml']);
  assert.ok(ms.every((m) => !/v3|details/.test(m.message)));
});
