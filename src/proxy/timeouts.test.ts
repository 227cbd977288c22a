// The connection manager's own timeouts over HTTP/1.1, as Envoy has them: stream_idle_timeout
// (408 before the response started, a reset after) and the connection idle_timeout.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { httpListener, route, routeConfig, staticCluster, vhost } from './testing/resources.ts';
import { request, startHarness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

let h: Harness;
let upstream: net.Server;

before(async () => {
  // /hang is never answered; /stall gets its headers and part of its body, then nothing.
  upstream = net.createServer((socket) =>
    socket.once('data', (d: Buffer) => {
      if (d.toString().startsWith('GET /stall'))
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
      else if (d.toString().startsWith('GET /ok'))
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    }),
  );
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  h = await startHarness();
  await h.push({
    clusters: [staticCluster('slow', [['127.0.0.1', (upstream.address() as AddressInfo).port]])],
    listeners: [
      httpListener('http', '127.0.0.1', 0, {
        rds: 'r',
        statPrefix: 'timeouts',
        extra: {
          streamIdleTimeout: { nanos: 200_000_000 },
          commonHttpProtocolOptions: { idleTimeout: { nanos: 300_000_000 } },
        },
      }),
    ],
    routes: [routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, 'slow')])])],
  });
});

after(async () => {
  await h.close();
  upstream.close();
});

async function stat(name: string): Promise<number> {
  const text = await request(h.adminPort(), '/stats');
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(text.body);
  return m ? Number(m[1]) : 0;
}

test(
  'stream idle timeout: 408 before the response started, the same stat each time',
  { timeout: 10_000 },
  async () => {
    const before = await stat('http.timeouts.downstream_rq_idle_timeout');
    const first = await request(h.port('http'), '/hang');
    assert.equal(first.status, 408);
    assert.equal(first.body, 'stream timeout');
    // Again on a second request: the timer is reused across responses, not armed once only.
    assert.equal((await request(h.port('http'), '/hang')).status, 408);
    assert.equal((await stat('http.timeouts.downstream_rq_idle_timeout')) - before, 2);
  },
);

test(
  'stream idle timeout after the response started: the downstream connection is reset',
  { timeout: 10_000 },
  async () => {
    await assert.rejects(request(h.port('http'), '/stall'), /aborted|socket hang up|ECONNRESET/);
  },
);

test(
  'connection idle timeout: a keep-alive connection without requests is closed',
  { timeout: 10_000 },
  async () => {
    const socket = net.connect(h.port('http'), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise((r) => socket.once('close', r));
    socket.write('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
    const answer = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(answer, /connection: close/);
    // Closed by the proxy within its idle timeout plus one check period (1 s).
    await closed;
  },
);
