import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_TYPE } from '../envoy/index.ts';
import { CORS_POLICY_TYPE, CORS_TYPE } from './http/filters/cors.ts';
import { cluster, endpoints, httpListener, route, routeConfig, vhost } from './testing/resources.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';

let h: Harness;
let up: Echo;
let port: number;

const fault = (config: Record<string, unknown>) => ({
  'envoy.filters.http.fault': { '@type': FAULT_TYPE, ...config },
});

before(async () => {
  h = await startHarness();
  up = await echoServer('up', (req, res) => {
    if (req.url !== '/slow') return false;
    const timer = setTimeout(() => res.end('late'), 400);
    res.once('close', () => clearTimeout(timer));
    return true;
  });
  await h.push({
    clusters: [cluster('up')],
    endpoints: [endpoints('up', [{ host: '127.0.0.1', port: up.port }])],
    listeners: [
      httpListener('main', '127.0.0.1', 0, {
        rds: 'r',
        statPrefix: 'filters',
        filters: [
          { name: 'envoy.filters.http.cors', typedConfig: { '@type': CORS_TYPE } },
          { name: 'envoy.filters.http.fault', typedConfig: { '@type': FAULT_TYPE } },
        ],
      }),
    ],
    routes: [
      routeConfig('r', [
        vhost(
          'all',
          ['*'],
          [
            route({ prefix: '/abort' }, 'up', {
              typedPerFilterConfig: fault({ abort: { httpStatus: 503, percentage: { numerator: 100 } } }),
            }),
            route({ prefix: '/half' }, 'up', {
              typedPerFilterConfig: fault({ abort: { httpStatus: 500, percentage: { numerator: 50 } } }),
            }),
            route({ prefix: '/delay' }, 'up', {
              typedPerFilterConfig: fault({
                delay: { fixedDelay: { nanos: 80_000_000 }, percentage: { numerator: 100 } },
              }),
            }),
            route({ prefix: '/grpc-abort' }, 'up', {
              typedPerFilterConfig: fault({ abort: { grpcStatus: 14, percentage: { numerator: 100 } } }),
            }),
            route({ prefix: '/slow' }, { route: { cluster: 'up', timeout: { nanos: 50_000_000 } } }),
            route({ prefix: '/' }, 'up'),
          ],
          {
            typedPerFilterConfig: {
              'envoy.filters.http.cors': {
                '@type': CORS_POLICY_TYPE,
                allowOriginStringMatch: [{ exact: 'https://good.example' }, { suffix: '.trusted.example' }],
                allowMethods: 'GET,POST',
                allowHeaders: 'x-custom',
                exposeHeaders: 'x-exposed',
                maxAge: '600',
                allowCredentials: { value: true },
              },
            },
          },
        ),
      ]),
    ],
  });
  port = h.port('main');
});

after(async () => {
  await h.close();
  await up.close();
});

test("fault abort answers with the status, Envoy's body and no upstream call", async () => {
  const seen = up.seen.length;
  const r = await request(port, '/abort');
  assert.equal(r.status, 503);
  assert.equal(r.body, 'fault filter abort');
  assert.equal(up.seen.length, seen);
  assert.equal(h.proxy.stats.value('http.filters.fault.aborts_injected'), 1);
});

test('a 50% abort hits about half of the requests', async () => {
  let aborted = 0;
  for (let i = 0; i < 200; i++) if ((await request(port, '/half')).status === 500) aborted++;
  // Binomial(200, 0.5): sd ≈ 7; ±4.5 sd.
  assert.ok(aborted > 68 && aborted < 132, `${aborted} of 200 aborted`);
});

test('fault delay holds the request before routing', async () => {
  const start = performance.now();
  const r = await request(port, '/delay');
  assert.equal(r.status, 200);
  assert.ok(performance.now() - start >= 75);
  assert.equal(h.proxy.stats.value('http.filters.fault.delays_injected'), 1);
});

test('gRPC aborts are trailers-only responses with grpc-status', async () => {
  const r = await request(port, '/grpc-abort');
  assert.equal(r.status, 200);
  assert.equal(r.headers['grpc-status'], '14');
  assert.equal(r.headers['content-type'], 'application/grpc');
});

test('route timeout: 504 upstream request timeout, counted as upstream_rq_timeout', async () => {
  const r = await request(port, '/slow');
  assert.equal(r.status, 504);
  assert.equal(r.body, 'upstream request timeout');
  assert.equal(h.proxy.stats.value('cluster.up.upstream_rq_timeout'), 1);
});

test('CORS: preflights from allowed origins are answered; simple requests get the headers', async () => {
  const pre = await request(port, '/', {
    method: 'OPTIONS',
    headers: { origin: 'https://good.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://good.example');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
  assert.equal(pre.headers['access-control-allow-headers'], 'x-custom');
  assert.equal(pre.headers['access-control-max-age'], '600');
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  const simple = await request(port, '/', { headers: { origin: 'https://app.trusted.example' } });
  assert.equal(simple.headers['access-control-allow-origin'], 'https://app.trusted.example');
  assert.equal(simple.headers['access-control-expose-headers'], 'x-exposed');
  const denied = await request(port, '/', { headers: { origin: 'https://evil.example' } });
  assert.equal(denied.status, 200);
  assert.equal(denied.headers['access-control-allow-origin'], undefined);
});
