// Istio → Envoy translation of the resilience fields: retry policies (Istio's defaults included),
// access logs from meshConfig.accessLogFile, and the gateway as the edge (use_remote_address).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Json } from './envoy-util.ts';
import { node, vhost, World } from './fixtures/harness.ts';
import { retryPolicy } from './routes.ts';

const bookinfo = readFileSync(new URL('./fixtures/bookinfo.yaml', import.meta.url), 'utf8');
const pods = [{ name: 'productpage-v1-0', ip: '127.1.0.2', labels: { app: 'productpage', version: 'v1' } }];
const PRODUCTPAGE = node('sidecar', '127.1.0.2', 'productpage-v1-0', 'default', {
  LABELS: { app: 'productpage', version: 'v1' },
});

test("Istio's default retry policy retries 503 twice, avoiding previous hosts", () => {
  const w = new World(bookinfo, pods);
  const routes = vhost(w.route(w.proxy(PRODUCTPAGE), '9080'), 'reviews.default.svc.cluster.local:9080')
    .routes as Json[];
  const retry = (routes[0]!.route as Json).retryPolicy as Json;
  assert.equal(retry.retryOn, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
  assert.deepEqual(retry.retriableStatusCodes, [503]);
  assert.deepEqual(retry.numRetries, { value: 2 });
  assert.equal((retry.retryHostPredicate as Json[])[0]!.name, 'envoy.retry_host_predicates.previous_hosts');
  assert.equal(retry.hostSelectionRetryMaxAttempts, '5');
});

test('retries: attempts and perTryTimeout keep the default conditions; an explicit retryOn replaces them', () => {
  const seed = retryPolicy({ attempts: 3, perTryTimeout: 2000 }, false)!;
  assert.deepEqual(seed.numRetries, { value: 3 });
  assert.deepEqual(seed.retriableStatusCodes, [503]);
  assert.deepEqual(seed.perTryTimeout, { seconds: '2' });
  const explicit = retryPolicy({ attempts: 2, retryOn: '5xx,reset' }, false)!;
  assert.equal(explicit.retryOn, '5xx,reset');
  assert.equal(explicit.retriableStatusCodes, undefined);
  assert.equal(retryPolicy({ attempts: 0 }, false), undefined);
});

test('meshConfig.accessLogFile (demo profile: /dev/stdout) puts a file access log in Istio format on every connection manager', () => {
  const w = new World(bookinfo, pods);
  w.mesh = { ...w.mesh, accessLogFile: '/tmp/access.log' };
  const listeners = w.listeners(w.proxy(PRODUCTPAGE));
  const hcms = [...listeners.values()].flatMap((l) =>
    (l.filterChains as Json[]).flatMap((c) =>
      (c.filters as Json[]).filter((f) => f.name === 'envoy.filters.network.http_connection_manager'),
    ),
  );
  assert.ok(hcms.length >= 2);
  for (const f of hcms) {
    const log = ((f.typedConfig as Json).accessLog as Json[])[0]!;
    assert.equal((log.typedConfig as Json).path, '/tmp/access.log');
    assert.match(JSON.stringify(log.typedConfig), /%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%/);
  }
  const plain = new World(bookinfo, pods);
  plain.mesh = { ...plain.mesh, accessLogFile: '' };
  const off = plain.listeners(plain.proxy(PRODUCTPAGE));
  for (const l of off.values())
    for (const c of l.filterChains as Json[])
      for (const f of c.filters as Json[]) assert.equal((f.typedConfig as Json).accessLog, undefined);
});

test('gateways are the edge: use_remote_address, so callers cannot steer timeouts with x-envoy-* headers', () => {
  const w = new World(
    `${bookinfo}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`,
    [
      ...pods,
      {
        name: 'gw-0',
        namespace: 'istio-system',
        ip: '127.1.0.9',
        labels: { istio: 'ingressgateway' },
        ports: { http2: 8080 },
      },
    ],
  );
  const gw = w.proxy(
    node('router', '127.1.0.9', 'gw-0', 'istio-system', { LABELS: { istio: 'ingressgateway' } }),
  );
  const listener = w.listeners(gw).get('0.0.0.0_80');
  assert.ok(listener);
  const hcm = ((listener.filterChains as Json[])[0]!.filters as Json[])[0]!.typedConfig as Json;
  assert.deepEqual(hcm.useRemoteAddress, { value: true });
  const sidecar = [...w.listeners(w.proxy(PRODUCTPAGE)).values()][0]!;
  const inner = ((sidecar.filterChains as Json[])[0]!.filters as Json[])[0]!.typedConfig as Json;
  assert.deepEqual(inner.useRemoteAddress, { value: false });
});
