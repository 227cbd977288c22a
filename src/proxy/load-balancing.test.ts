import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, endpoints, httpListener, route, routeConfig, vhost } from './testing/resources.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';

let h: Harness;
const ups: Echo[] = [];
let port: number;

before(async () => {
  h = await startHarness();
  for (const n of ['u1', 'u2', 'u3']) ups.push(await echoServer(n));
  const ep = (i: number, extra = {}) => ({ host: '127.0.0.1', port: ups[i]!.port, ...extra });
  await h.push({
    clusters: [
      cluster('v1'),
      cluster('v2'),
      cluster('ring', { lbPolicy: 'RING_HASH' }),
      cluster('maglev', { lbPolicy: 'MAGLEV' }),
      cluster('least', { lbPolicy: 'LEAST_REQUEST' }),
      cluster('health', { commonLbConfig: { healthyPanicThreshold: { value: 0 } } }),
      cluster('panic'),
      cluster('empty'),
    ],
    endpoints: [
      endpoints('v1', [ep(0)]),
      endpoints('v2', [ep(1)]),
      endpoints('ring', [ep(0), ep(1), ep(2)]),
      endpoints('maglev', [ep(0), ep(1), ep(2)]),
      endpoints('least', [ep(0), ep(1)]),
      endpoints('health', [ep(0, { health: 'UNHEALTHY' }), ep(1), ep(2, { health: 'DRAINING' })]),
      endpoints('panic', [ep(0, { health: 'UNHEALTHY' }), ep(1, { health: 'UNHEALTHY' })]),
      endpoints('empty', []),
    ],
    listeners: [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'lb' })],
    routes: [
      routeConfig('r', [
        vhost(
          'all',
          ['*'],
          [
            route(
              { prefix: '/split' },
              {
                route: {
                  weightedClusters: {
                    clusters: [
                      { name: 'v1', weight: { value: 90 } },
                      { name: 'v2', weight: { value: 10 } },
                    ],
                  },
                },
              },
            ),
            route(
              { prefix: '/ring' },
              { route: { cluster: 'ring', hashPolicy: [{ header: { headerName: 'x-user' } }] } },
            ),
            route(
              { prefix: '/maglev' },
              { route: { cluster: 'maglev', hashPolicy: [{ queryParameter: { name: 'u' } }] } },
            ),
            route(
              { prefix: '/cookie' },
              {
                route: {
                  cluster: 'ring',
                  hashPolicy: [{ cookie: { name: 'session', ttl: { seconds: '60' }, path: '/' } }],
                },
              },
            ),
            route(
              { prefix: '/source' },
              { route: { cluster: 'ring', hashPolicy: [{ connectionProperties: { sourceIp: true } }] } },
            ),
            route({ prefix: '/least' }, 'least'),
            route({ prefix: '/health' }, 'health'),
            route({ prefix: '/panic' }, 'panic'),
            route({ prefix: '/empty' }, 'empty'),
            route({ prefix: '/missing' }, 'no-such-cluster'),
          ],
        ),
      ]),
    ],
  });
  port = h.port('main');
});

after(async () => {
  await h.close();
  for (const u of ups) await u.close();
});

async function names(
  path: string,
  n: number,
  headers: (i: number) => Record<string, string> = () => ({}),
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await request(port, path, { headers: headers(i) });
    assert.equal(r.status, 200, r.body);
    const name = r.json<{ name: string }>().name;
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

test('weighted clusters split 90/10 within statistical bounds', async () => {
  const c = await names('/split', 400);
  const v2 = c.get('u2') ?? 0;
  // Binomial(400, 0.1): mean 40, sd 6; ±4.5 sd.
  assert.ok(v2 >= 13 && v2 <= 67, `v2 got ${v2} of 400`);
  assert.equal((c.get('u1') ?? 0) + v2, 400);
});

test('ring hash by header and maglev by query parameter keep each key on one host', async () => {
  for (const user of ['alice', 'bob', 'carol', 'dave']) {
    const c = await names('/ring', 6, () => ({ 'x-user': user }));
    assert.equal(c.size, 1, `${user} spread over ${[...c.keys()]}`);
  }
  const spread = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const c = await names(`/maglev?u=user${i}`, 3);
    assert.equal(c.size, 1);
    spread.add([...c.keys()][0]!);
  }
  assert.equal(spread.size, 3, 'different keys reach different hosts');
});

test('a hash cookie is set when absent (with its ttl) and keeps the client on one host', async () => {
  const first = await request(port, '/cookie');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, /^session="[0-9a-f]+"; Max-Age=60; Path=\/; HttpOnly$/);
  const value = cookie.split(';')[0]!;
  const c = await names('/cookie', 8, () => ({ cookie: value }));
  assert.equal(c.size, 1);
  const again = await request(port, '/cookie', { headers: { cookie: value } });
  assert.equal(again.headers['set-cookie'], undefined);
  assert.equal((await names('/source', 6)).size, 1, 'the source IP hashes consistently');
});

test('least request spreads sequential requests over both hosts', async () => {
  const c = await names('/least', 40);
  assert.equal(c.size, 2);
});

test('endpoint health: unhealthy and draining hosts get no traffic; nothing healthy is 503 UH', async () => {
  const c = await names('/health', 20);
  assert.deepEqual([...c.keys()], ['u2']);
  // Below the panic threshold (default 50%) Envoy balances over every host, healthy or not.
  assert.equal((await names('/panic', 10)).size, 2);
  const none = await request(port, '/empty');
  assert.equal(none.status, 503);
  assert.equal(none.body, 'no healthy upstream');
  assert.equal(h.proxy.stats.value('cluster.empty.upstream_cx_none_healthy'), 1);
  const missing = await request(port, '/missing');
  assert.equal(missing.status, 503);
  assert.equal(h.proxy.stats.value('http.lb.no_cluster'), 1);
});

test('an EDS update changes membership without a CDS push', async () => {
  await h.push({
    endpoints: [
      endpoints('v1', [{ host: '127.0.0.1', port: ups[2]!.port }]),
      endpoints('v2', [{ host: '127.0.0.1', port: ups[1]!.port }]),
      endpoints('ring', [{ host: '127.0.0.1', port: ups[0]!.port }]),
      endpoints('maglev', []),
      endpoints('least', []),
      endpoints('health', []),
      endpoints('panic', []),
      endpoints('empty', []),
    ],
  });
  const c = await names('/split', 50);
  assert.ok((c.get('u3') ?? 0) > 0 && !c.has('u1'));
  assert.ok((h.proxy.stats.value('cluster.v1.membership_change') ?? 0) >= 2);
});
