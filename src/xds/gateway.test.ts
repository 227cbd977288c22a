import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../envoy/index.ts';
import type { Json } from './envoy-util.ts';
import type { PodSpec } from './fixtures/harness.ts';
import { node, vhost, World } from './fixtures/harness.ts';

const bookinfo = readFileSync(new URL('./fixtures/bookinfo.yaml', import.meta.url), 'utf8');
const ingress = `
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  ports:
  - name: http2
    port: 80
    targetPort: 8080
  - name: https
    port: 443
    targetPort: 8443
  - name: tcp
    port: 31400
    targetPort: 31400
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "*"
  - port:
      number: 31400
      name: tcp
      protocol: TCP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts:
  - "*"
  gateways:
  - bookinfo-gateway
  http:
  - match:
    - uri:
        exact: /productpage
    - uri:
        prefix: /static
    route:
    - destination:
        host: productpage
        port:
          number: 9080
  tcp:
  - match:
    - port: 31400
    route:
    - destination:
        host: ratings
        port:
          number: 9080
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: mesh-only
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
`;

const pods: PodSpec[] = [
  {
    name: 'istio-ingressgateway-0',
    namespace: 'istio-system',
    ip: '127.1.0.1',
    labels: { istio: 'ingressgateway' },
  },
  { name: 'productpage-v1-0', ip: '127.1.0.2', labels: { app: 'productpage' } },
];

test('a router gets listeners from its Gateway servers on the Service target ports and routes from bound VirtualServices', () => {
  const w = new World(bookinfo + ingress, pods);
  const gw = w.proxy(
    node('router', '127.1.0.1', 'istio-ingressgateway-0', 'istio-system', {
      LABELS: { istio: 'ingressgateway' },
    }),
  );
  const ls = w.listeners(gw);
  assert.deepEqual([...ls.keys()].sort(), ['0.0.0.0_31400', '0.0.0.0_8080']);
  const http = ls.get('0.0.0.0_8080')!;
  const sa = (http.address as Json).socketAddress as Json;
  assert.deepEqual([sa.address, sa.portValue], ['127.1.0.1', 8080]);
  const hcm = ((http.filterChains as Json[])[0]!.filters as Json[])[0]!.typedConfig as Json;
  assert.equal(hcm.statPrefix, 'outbound_0.0.0.0_8080');
  assert.equal((hcm.rds as Json).routeConfigName, 'http.8080');
  const tcp = ((ls.get('0.0.0.0_31400')!.filterChains as Json[])[0]!.filters as Json[])[0]!
    .typedConfig as Json;
  assert.equal(tcp.cluster, 'outbound|9080||ratings.default.svc.cluster.local');

  const rc = w.generate(gw, ROUTE_TYPE, ['http.8080'])[0]!;
  const vh = vhost(rc, '*:80');
  assert.deepEqual(vh.domains, ['*']);
  const routes = vh.routes as Json[];
  assert.deepEqual(
    routes.map((r) => (r.match as Json).path ?? (r.match as Json).prefix),
    ['/productpage', '/static'],
  );
  assert.equal((routes[0]!.route as Json).cluster, 'outbound|9080||productpage.default.svc.cluster.local');
  // The mesh-only VirtualService is not on the gateway.
  assert.equal((rc.virtualHosts as Json[]).length, 1);
  const clusters = w.generate(gw, CLUSTER_TYPE).map((c) => c.name);
  assert.ok(clusters.includes('outbound|9080||productpage.default.svc.cluster.local'));
});

test('gateway hosts narrow VirtualService hosts; a server host namespace admits only its namespace', () => {
  const w = new World(
    bookinfo +
      `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "default/*.bookinfo.com"
    tls:
      httpsRedirect: true
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
spec:
  hosts:
  - shop.bookinfo.com
  gateways:
  - istio-system/gw
  http:
  - route:
    - destination:
        host: productpage
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: other-ns
  namespace: other
spec:
  hosts:
  - other.bookinfo.com
  gateways:
  - istio-system/gw
  http:
  - route:
    - destination:
        host: productpage.default.svc.cluster.local
`,
    pods,
  );
  const gw = w.proxy(
    node('router', '127.1.0.1', 'istio-ingressgateway-0', 'istio-system', {
      LABELS: { istio: 'ingressgateway' },
    }),
  );
  assert.ok(w.listeners(gw).has('0.0.0.0_80'));
  const rc = w.generate(gw, ROUTE_TYPE, ['http.80'])[0]!;
  assert.deepEqual(
    (rc.virtualHosts as Json[]).map((v) => v.name),
    ['shop.bookinfo.com:80'],
  );
  const vh = vhost(rc, 'shop.bookinfo.com:80');
  assert.deepEqual(vh.domains, ['shop.bookinfo.com', 'shop.bookinfo.com:*']);
  assert.equal(vh.requireTls, 'ALL');
  assert.equal(w.generate(gw, LISTENER_TYPE).length, 1);
});
