import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROUTE_TYPE } from '../envoy/index.ts';
import type { Json } from './envoy-util.ts';
import { node, vhost, World } from './fixtures/harness.ts';

const bookinfo = readFileSync(new URL('./fixtures/bookinfo.yaml', import.meta.url), 'utf8');
const host = 'reviews.default.svc.cluster.local';

test('locality failover orders endpoints by closeness once outlier detection is on', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 3
    loadBalancer:
      localityLbSetting:
        enabled: true
`,
  );
  const at = (name: string, ip: string, zone: string, region = 'r1') =>
    w.registry.upsertPod({
      kind: 'pod',
      name,
      namespace: 'default',
      labels: { app: 'reviews' },
      serviceAccount: 'default',
      address: ip,
      appAddress: ip,
      ready: true,
      namedPorts: {},
      locality: { region, zone, subZone: '' },
    });
  at('near', '127.1.0.3', 'z1');
  at('same-region', '127.1.0.4', 'z2');
  at('far', '127.1.0.5', 'z1', 'r2');
  const proxy = w.proxy({
    ...node('sidecar', '127.1.0.2', 'productpage-v1-0'),
    locality: { region: 'r1', zone: 'z1' },
  });
  const [cla] = w.generate(proxy, 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', [
    `outbound|9080||${host}`,
  ]);
  const byZone = new Map(
    (cla!.endpoints as Json[]).map((l) => [
      `${(l.locality as Json).region}/${(l.locality as Json).zone}`,
      l.priority ?? 0,
    ]),
  );
  assert.deepEqual(Object.fromEntries(byZone), { 'r1/z1': 0, 'r1/z2': 1, 'r2/z1': 2 });
});

test('client TLS: ISTIO_MUTUAL uses SDS certificates and Istio SNI, SIMPLE validates against a CA file', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
  subsets:
  - name: v1
    labels:
      version: v1
    trafficPolicy:
      tls:
        mode: SIMPLE
        caCertificates: /etc/certs/ca.pem
        sni: reviews.example.com
`,
  );
  const clusters = w.clusters(w.proxy(node('sidecar', '127.1.0.2', 'productpage-v1-0')));
  const mtls = (clusters.get(`outbound|9080||${host}`)!.transportSocket as Json).typedConfig as Json;
  assert.equal(mtls.sni, `outbound_.9080_._.${host}`);
  const common = mtls.commonTlsContext as Json;
  assert.equal((common.tlsCertificateSdsSecretConfigs as Json[])[0]!.name, 'default');
  assert.equal(
    ((common.combinedValidationContext as Json).validationContextSdsSecretConfig as Json).name,
    'ROOTCA',
  );
  const simple = (clusters.get(`outbound|9080|v1|${host}`)!.transportSocket as Json).typedConfig as Json;
  assert.equal(simple.sni, 'reviews.example.com');
  assert.deepEqual(
    (((simple.commonTlsContext as Json).validationContext as Json).trustedCa as Json).filename,
    '/etc/certs/ca.pem',
  );
});

test('consistent hash by cookie, source IP and query parameter; maglev table size', () => {
  for (const [hash, expected] of [
    [
      'httpCookie:\n          name: user\n          ttl: 60s',
      { cookie: { name: 'user', ttl: { seconds: '60' } } },
    ],
    ['useSourceIp: true', { connectionProperties: { sourceIp: true } }],
    ['httpQueryParameterName: session', { queryParameter: { name: 'session' } }],
  ] as const) {
    const w = new World(
      bookinfo +
        `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      consistentHash:
        ${hash}
        maglev:
          tableSize: 65537
`,
    );
    const proxy = w.proxy(node('sidecar', '127.1.0.2', 'productpage-v1-0'));
    const c = w.clusters(proxy).get(`outbound|9080||${host}`)!;
    assert.equal(c.lbPolicy, 'MAGLEV');
    assert.deepEqual((c.maglevLbConfig as Json).tableSize, { value: '65537' });
    const route = (vhost(w.route(proxy, '9080'), `${host}:9080`).routes as Json[])[0]!.route as Json;
    assert.deepEqual(route.hashPolicy, [expected]);
  }
});

test('an HTTPS gateway server terminates TLS with its credential and routes by SNI', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: secure
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - bookinfo.example.com
    tls:
      mode: SIMPLE
      credentialName: bookinfo-cert
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts:
  - bookinfo.example.com
  gateways:
  - secure
  http:
  - match:
    - uri:
        prefix: /
      scheme:
        exact: https
      authority:
        prefix: bookinfo
    rewrite:
      uriRegexRewrite:
        match: ^/old/(.*)
        rewrite: /new/\\1
    route:
    - destination:
        host: productpage
`,
    [{ name: 'gw-0', ip: '127.1.0.1', labels: { istio: 'ingressgateway' } }],
  );
  const gw = w.proxy(node('router', '127.1.0.1', 'gw-0', 'default', { LABELS: { istio: 'ingressgateway' } }));
  const listener = w.listeners(gw).get('0.0.0.0_443')!;
  const chain = (listener.filterChains as Json[])[0]!;
  assert.deepEqual((chain.filterChainMatch as Json).serverNames, ['bookinfo.example.com']);
  const tls = (chain.transportSocket as Json).typedConfig as Json;
  assert.equal(
    ((tls.commonTlsContext as Json).tlsCertificateSdsSecretConfigs as Json[])[0]!.name,
    'kubernetes://bookinfo-cert',
  );
  const rds = (((chain.filters as Json[])[0]!.typedConfig as Json).rds as Json).routeConfigName;
  assert.equal(rds, 'https.443.https.secure.default');
  const rc = w.generate(gw, ROUTE_TYPE, [rds as string])[0]!;
  const route = (vhost(rc, 'bookinfo.example.com:443').routes as Json[])[0]!;
  assert.deepEqual(
    ((route.match as Json).headers as Json[]).map((h) => h.name),
    [':scheme', ':authority'],
  );
  assert.deepEqual((route.route as Json).regexRewrite, {
    pattern: { regex: '^/old/(.*)' },
    substitution: '/new/\\1',
  });
});
