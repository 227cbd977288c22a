import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { StatsStore } from '../stats/store.ts';
import { Host } from './host.ts';
import { Http1Pool } from './pool.ts';
import type { Http1Request } from './pool.ts';
import { clusterStats } from './stats.ts';

let server: http.Server;
let port = 0;
const seen: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/reset') return req.socket.destroy();
    const close = req.url === '/close';
    // Hold /slow answers briefly so that requests overlap.
    setTimeout(
      () => res.writeHead(200, close ? { connection: 'close' } : {}).end(`${req.url} ${req.method}`),
      req.url?.startsWith('/slow') ? 30 : 0,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => server.close());

function pool(maxConnections: number, maxRequestsPerConnection = 0) {
  const stats = clusterStats(new StatsStore().cluster('c'));
  const p = new Http1Pool(
    new Host({ host: '127.0.0.1', port }),
    { connectTimeoutMs: 1000, idleTimeoutMs: 5000, maxConnections, stats },
    maxRequestsPerConnection,
  );
  return { p, stats };
}

function get(p: Http1Pool, path: string) {
  const request: Http1Request = { method: 'GET', path, headers: { host: 'x' }, body: null };
  let body = '';
  let cancel = () => {};
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    let status = 0;
    const ticket = p.request(request, {
      onStart: () => {},
      onResponse: (s) => (status = s),
      onData: (chunk) => (body += chunk.toString()),
      onEnd: () => resolve({ status, body }),
      onError: reject,
    });
    cancel = () => ticket.cancel();
  });
  return { done, cancel: () => cancel() };
}

test('requests beyond max connections wait their turn and reuse the open connections', async () => {
  const { p, stats } = pool(2);
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => get(p, `/slow${i}`).done));
  assert.deepEqual(
    results.map((r) => r.body),
    Array.from({ length: 6 }, (_, i) => `/slow${i} GET`),
  );
  assert.equal(stats.upstream_cx_total.value, 2, 'two connections carried six requests');
  assert.equal(p.free, 2, 'both are idle again');
  p.close();
});

test('a cancelled waiting request is never sent', async () => {
  const { p } = pool(1);
  const first = get(p, '/slow-first');
  const second = get(p, '/never');
  second.cancel();
  const third = get(p, '/third');
  await first.done;
  assert.equal((await third.done).body, '/third GET');
  assert.ok(!seen.includes('/never'));
  p.close();
});

test('a connection the upstream closes, or that reached its request limit, is not reused', async () => {
  const { p, stats } = pool(4);
  await get(p, '/close').done;
  await get(p, '/after-close').done;
  assert.equal(stats.upstream_cx_total.value, 2);
  const limited = pool(4, 2);
  for (let i = 0; i < 4; i++) await get(limited.p, `/n${i}`).done;
  assert.equal(limited.stats.upstream_cx_total.value, 2, 'two requests per connection');
  p.close();
  limited.p.close();
});

test('an idle connection that is closing (its close event still to come) is skipped, not handed a request', async () => {
  const { p, stats } = pool(4);
  let socket: Socket | undefined;
  await new Promise<void>((resolve, reject) =>
    p.request(
      { method: 'GET', path: '/first', headers: { host: 'x' }, body: null },
      {
        onStart: (s) => (socket = s),
        onResponse: () => {},
        onData: () => {},
        onEnd: () => resolve(),
        onError: reject,
      },
    ),
  );
  // As when the upstream ends an idle keep-alive connection: the socket is destroyed, and the pool
  // hears of it only at the close event, after the next request has been made.
  socket!.destroy();
  assert.equal((await get(p, '/next').done).body, '/next GET');
  assert.equal(stats.upstream_cx_total.value, 2, 'the request got a new connection');
  p.close();
});

test('a request that fails with its connection leaves the requests waiting behind it unharmed', async () => {
  const { p, stats } = pool(1);
  const failing = get(p, '/reset');
  const waiting = get(p, '/waiting');
  await assert.rejects(failing.done);
  assert.equal((await waiting.done).body, '/waiting GET');
  assert.equal(stats.upstream_cx_total.value, 2, 'the waiting request got a new connection');
  p.close();
});

test('a refused connection fails its request with the socket error', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const stats = clusterStats(new StatsStore().cluster('d'));
  const p = new Http1Pool(new Host({ host: '127.0.0.1', port: deadPort }), {
    connectTimeoutMs: 1000,
    idleTimeoutMs: 5000,
    maxConnections: 1,
    stats,
  });
  await assert.rejects(get(p, '/').done, { code: 'ECONNREFUSED' });
  assert.equal(stats.upstream_cx_connect_fail.value, 1);
  p.close();
});
