import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, endpoints, httpListener, route, routeConfig, vhost } from './testing/resources.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';

let h: Harness;
let a: Echo;
let b: Echo;
let port: number;

before(async () => {
  h = await startHarness();
  a = await echoServer('a');
  b = await echoServer('b');
  await h.push({
    clusters: [cluster('a'), cluster('b')],
    endpoints: [
      endpoints('a', [{ host: '127.0.0.1', port: a.port }]),
      endpoints('b', [{ host: '127.0.0.1', port: b.port }]),
    ],
    listeners: [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'main' })],
    routes: [
      routeConfig('r', [
        vhost('exact', ['exact.example', 'exact.example:8080'], [route({ prefix: '/' }, 'a')]),
        vhost('suffix', ['*.example'], [route({ prefix: '/' }, 'b')]),
        vhost('longer-suffix', ['*.deep.example'], [route({ prefix: '/' }, 'a', { name: 'deep' })]),
        vhost('prefix', ['api.*'], [route({ prefix: '/' }, 'b', { name: 'api' })]),
        vhost(
          'any',
          ['*'],
          [
            route({ path: '/exact' }, 'a', { name: 'path' }),
            route({ prefix: '/CaseLess', caseSensitive: { value: false } }, 'b', { name: 'caseless' }),
            route({ safeRegex: { regex: '/reg/[0-9]+' } }, 'a', { name: 'regex' }),
            route({ pathSeparatedPrefix: '/sep' }, 'b', { name: 'separated' }),
            route({ prefix: '/h', headers: [{ name: 'x-user', stringMatch: { exact: 'jason' } }] }, 'b', {
              name: 'header-exact',
            }),
            route(
              { prefix: '/h', headers: [{ name: 'x-v', stringMatch: { safeRegex: { regex: 'v[12]' } } }] },
              'b',
              { name: 'header-regex' },
            ),
            route(
              {
                prefix: '/h',
                headers: [
                  { name: 'x-absent', presentMatch: true, invertMatch: true },
                  { name: 'x-p', stringMatch: { prefix: 'pre' } },
                ],
              },
              'b',
              { name: 'header-invert' },
            ),
            route(
              { prefix: '/q', queryParameters: [{ name: 'canary', stringMatch: { exact: 'yes' } }] },
              'b',
              { name: 'query' },
            ),
            route(
              { prefix: '/rewrite/' },
              { route: { cluster: 'a', prefixRewrite: '/new/', hostRewriteLiteral: 'rewritten.local' } },
              { name: 'rewrite' },
            ),
            route(
              { prefix: '/rx/' },
              {
                route: {
                  cluster: 'a',
                  regexRewrite: { pattern: { regex: '^/rx/(\\w+)/(\\w+)$' }, substitution: '/\\2/\\1' },
                },
              },
            ),
            route(
              { prefix: '/redirect' },
              { redirect: { hostRedirect: 'other.example', pathRedirect: '/there', responseCode: 'FOUND' } },
            ),
            route(
              { prefix: '/direct' },
              { directResponse: { status: 418, body: { inlineString: 'teapot' } } },
            ),
            route(
              { prefix: '/hdrs' },
              {
                route: { cluster: 'a' },
                requestHeadersToAdd: [
                  { header: { key: 'x-added', value: 'one' } },
                  { header: { key: 'x-set', value: 'new' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
                  { header: { key: 'x-keep', value: 'proxy' }, appendAction: 'ADD_IF_ABSENT' },
                ],
                requestHeadersToRemove: ['x-remove'],
                responseHeadersToAdd: [{ header: { key: 'x-resp', value: 'r' } }],
                responseHeadersToRemove: ['x-upstream'],
              },
            ),
            route({ prefix: '/' }, 'a', { name: 'default' }),
          ],
        ),
      ]),
    ],
  });
  port = h.port('main');
});

after(async () => {
  await h.close();
  await a.close();
  await b.close();
});

async function upstreamOf(path: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await request(port, path, { headers });
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return r.json<{ name: string }>().name;
}

test('virtual hosts are chosen by authority: exact, longest suffix, prefix, then "*"', async () => {
  assert.equal(await upstreamOf('/', { host: 'exact.example' }), 'a');
  assert.equal(await upstreamOf('/', { host: 'exact.example:8080' }), 'a');
  assert.equal(await upstreamOf('/', { host: 'x.example' }), 'b');
  assert.equal(await upstreamOf('/', { host: 'x.deep.example' }), 'a');
  assert.equal(await upstreamOf('/', { host: 'api.anything' }), 'b');
  assert.equal(await upstreamOf('/', { host: 'EXACT.example' }), 'a', 'domains match case-insensitively');
  // A port that no domain lists falls through to the wildcard virtual host.
  assert.equal(await upstreamOf('/exact', { host: 'exact.example:9999' }), 'a');
});

test('path matching: exact path, case-insensitive prefix, RE2 regex on the whole path, separated prefix', async () => {
  assert.equal(await upstreamOf('/exact'), 'a');
  assert.equal(await upstreamOf('/exact?x=1'), 'a', 'path match ignores the query');
  assert.equal(await upstreamOf('/caseless/x'), 'b');
  assert.equal(await upstreamOf('/reg/123'), 'a');
  assert.equal(
    (await request(port, '/reg/123x')).json<{ url: string }>().url,
    '/reg/123x',
    'regex must match the whole path: default route',
  );
  assert.equal(await upstreamOf('/sep'), 'b');
  assert.equal(await upstreamOf('/sep/more'), 'b');
  assert.equal(await upstreamOf('/separate'), 'a', 'path_separated_prefix needs a "/" boundary');
});

test('header and query parameter matchers, including regex and invert', async () => {
  assert.equal(await upstreamOf('/h', { 'x-user': 'jason' }), 'b');
  assert.equal(await upstreamOf('/h', { 'x-user': 'jasonx' }), 'a');
  assert.equal(await upstreamOf('/h', { 'x-v': 'v2' }), 'b');
  assert.equal(await upstreamOf('/h', { 'x-v': 'v3' }), 'a');
  assert.equal(await upstreamOf('/h', { 'x-p': 'prefix' }), 'b');
  assert.equal(await upstreamOf('/h', { 'x-p': 'prefix', 'x-absent': '1' }), 'a');
  assert.equal(await upstreamOf('/q?canary=yes'), 'b');
  assert.equal(await upstreamOf('/q?canary=no'), 'a');
});

test('prefix and regex rewrites, host rewrite and x-envoy-original-path', async () => {
  const r = (await request(port, '/rewrite/x?y=1')).json<{ url: string; headers: Record<string, string> }>();
  assert.equal(r.url, '/new/x?y=1');
  assert.equal(r.headers.host, 'rewritten.local');
  assert.equal(r.headers['x-envoy-original-path'], '/rewrite/x?y=1');
  const rx = (await request(port, '/rx/one/two?q')).json<{ url: string }>();
  assert.equal(rx.url, '/two/one?q');
});

test('redirects and direct responses are answered by the proxy', async () => {
  const r = await request(port, '/redirect?a=b', { headers: { host: 'here.test' } });
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, 'http://other.example/there?a=b');
  const d = await request(port, '/direct');
  assert.equal(d.status, 418);
  assert.equal(d.body, 'teapot');
  assert.equal(d.headers.server, 'istio-envoy');
});

test('request and response header manipulation with append actions', async () => {
  const r = await request(port, '/hdrs', {
    headers: { 'x-set': 'old', 'x-keep': 'client', 'x-remove': 'bye', 'x-added': 'zero' },
  });
  const seen = r.json<{ headers: Record<string, string> }>().headers;
  assert.equal(seen['x-added'], 'zero,one');
  assert.equal(seen['x-set'], 'new');
  assert.equal(seen['x-keep'], 'client');
  assert.equal(seen['x-remove'], undefined);
  assert.equal(r.headers['x-resp'], 'r');
  assert.equal(r.headers['x-upstream'], undefined);
});

test('proxy headers: x-request-id, x-forwarded-proto, upstream service time, hop-by-hop removal', async () => {
  const r = await request(port, '/', {
    headers: { connection: 'x-hop, keep-alive', 'x-hop': 'secret', 'proxy-connection': 'keep-alive' },
  });
  const seen = r.json<{ headers: Record<string, string> }>().headers;
  assert.match(seen['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-hop'], undefined);
  assert.equal(seen['proxy-connection'], undefined);
  assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
  assert.equal(r.headers.server, 'istio-envoy');
  const kept = (await request(port, '/', { headers: { 'x-request-id': 'abc' } })).json<{
    headers: Record<string, string>;
  }>();
  assert.equal(kept.headers['x-request-id'], 'abc', 'a request id from inside the mesh is propagated');
});

test('request and response bodies stream through in both directions (chunked, 1 MiB)', async () => {
  const big = 'x'.repeat(1024 * 1024);
  const r = await request(port, '/upload', {
    method: 'POST',
    body: big,
    headers: { 'transfer-encoding': 'chunked' },
  });
  assert.equal(r.status, 200);
  const seen = r.json<{ body: string; headers: Record<string, string> }>();
  assert.equal(seen.body.length, big.length);
  assert.equal(seen.headers['transfer-encoding'], 'chunked');
  const sized = await request(port, '/upload', {
    method: 'PUT',
    body: 'hello',
    headers: { 'content-length': '5' },
  });
  assert.equal(sized.json<{ body: string }>().body, 'hello');
});

test('no matching route: 404 with NR counted as no_route', async () => {
  const before = h.proxy.stats.value('http.main.no_route') ?? 0;
  h.ads.set('type.googleapis.com/envoy.config.route.v3.RouteConfiguration', [
    routeConfig('r', [vhost('only', ['only.example'], [route({ prefix: '/' }, 'a')])]),
  ]);
  await h.ads.acked('type.googleapis.com/envoy.config.route.v3.RouteConfiguration');
  const r = await request(port, '/anything', { headers: { host: 'elsewhere' } });
  assert.equal(r.status, 404);
  assert.equal(h.proxy.stats.value('http.main.no_route'), before + 1);
});
