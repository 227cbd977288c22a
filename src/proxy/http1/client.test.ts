import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { UpstreamProtocolError, UpstreamResetError } from '../errors.ts';
import { until } from '../testing/control-plane.ts';
import { Http1Connection } from './client.ts';
import type { Http1Controller, Http1Request } from './client.ts';
import type { ResponseHeaders } from './response-parser.ts';

const servers: net.Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/**
 * A raw upstream: `onRequest` gets each server-side socket and everything received on it so far,
 * every time more arrives, and answers with whatever bytes it likes.
 */
async function upstream(onRequest: (socket: net.Socket, received: string) => void) {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let received = '';
    socket.on('data', (d) => {
      received += d.toString('latin1');
      onRequest(socket, received);
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, sockets };
}

function connect(port: number, idleTimeoutMs = 10_000) {
  let gone = false;
  const socket = net.connect({ host: '127.0.0.1', port });
  const connection = new Http1Connection(socket, 'connect', idleTimeoutMs, () => (gone = true));
  return { connection, isGone: () => gone };
}

interface Outcome {
  status?: number;
  headers?: ResponseHeaders;
  body: string;
  trailers?: ResponseHeaders;
  reusable?: boolean;
  error?: Error;
  started: boolean;
  controller?: Http1Controller;
}

function send(connection: Http1Connection, request: Partial<Http1Request>) {
  const out: Outcome = { body: '', started: false };
  const done = new Promise<Outcome>((resolve) => {
    connection.request(
      { method: 'GET', path: '/', headers: { host: 'up' }, body: null, ...request },
      {
        onStart: () => (out.started = true),
        onResponse: (status, headers, controller) => Object.assign(out, { status, headers, controller }),
        onData: (chunk) => (out.body += chunk.toString('latin1')),
        onEnd: (trailers, reusable) => resolve(Object.assign(out, { trailers, reusable })),
        onError: (error) => resolve(Object.assign(out, { error })),
      },
    );
  });
  return { out, done };
}

const OK = (body: string) => `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
const headEnd = (s: string) => s.indexOf('\r\n\r\n') + 4;

test('requests are written with their headers in order, one at a time, on one reused connection', async () => {
  const requests: string[] = [];
  const { port } = await upstream((socket, received) => {
    const heads = received.split('\r\n\r\n').slice(0, -1);
    if (heads.length > requests.length) {
      requests.push(heads.at(-1)!);
      socket.write(OK(`answer ${heads.length}`));
    }
  });
  const { connection } = connect(port);
  const first = await send(connection, {
    path: '/a?b=c',
    headers: { host: 'up', 'x-multi': ['1', '2'], skipped: undefined, 'x-request-id': 'abc' },
  }).done;
  assert.equal(first.started, true);
  assert.equal(first.body, 'answer 1');
  assert.equal(first.reusable, true);
  const second = await send(connection, { method: 'DELETE', path: '/z' }).done;
  assert.equal(second.body, 'answer 2');
  assert.deepEqual(requests, [
    'GET /a?b=c HTTP/1.1\r\nhost: up\r\nx-multi: 1\r\nx-multi: 2\r\nx-request-id: abc',
    'DELETE /z HTTP/1.1\r\nhost: up',
  ]);
  connection.destroy();
});

test('a body with Content-Length goes as it is; one without is chunked; POST without body says length 0', async () => {
  const received: string[] = [];
  const { port } = await upstream((socket, data) => {
    const complete =
      data.includes('content-length: 0') ||
      (data.includes('content-length: 5') && data.length >= headEnd(data) + 5) ||
      data.endsWith('0\r\n\r\n');
    if (complete) {
      received.push(data);
      socket.write(OK('ok'));
    }
  });
  const fixed = new PassThrough();
  const a = send(connect(port).connection, {
    method: 'PUT',
    headers: { host: 'up', 'content-length': '5' },
    body: fixed,
  });
  fixed.write('he');
  fixed.end('llo');
  assert.equal((await a.done).reusable, true);
  const streamed = new PassThrough();
  const b = send(connect(port).connection, { method: 'POST', body: streamed });
  streamed.write('abc');
  setImmediate(() => streamed.end('defghijklmnopq'));
  assert.equal((await b.done).reusable, true);
  assert.equal((await send(connect(port).connection, { method: 'POST' }).done).status, 200);
  assert.deepEqual(received.sort(), [
    'POST / HTTP/1.1\r\nhost: up\r\ncontent-length: 0\r\n\r\n',
    'POST / HTTP/1.1\r\nhost: up\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\ne\r\ndefghijklmnopq\r\n0\r\n\r\n',
    'PUT / HTTP/1.1\r\nhost: up\r\ncontent-length: 5\r\n\r\nhello',
  ]);
});

test('a header that would break the framing is refused before anything is written', async () => {
  let bytes = '';
  const { port } = await upstream((socket, data) => {
    bytes = data;
    socket.write(OK('fine'));
  });
  const { connection } = connect(port);
  for (const request of [
    { headers: { host: 'up', 'x-evil': 'a\r\nx-injected: 1' } },
    { headers: { host: 'up', 'bad name': 'x' } },
    { path: '/a b' },
    { path: '/a\r\nx: y' },
    { method: 'GE T' },
  ]) {
    const r = await send(connection, request).done;
    assert.ok(r.error instanceof UpstreamProtocolError, JSON.stringify(request));
    assert.equal(r.started, false);
  }
  // The connection was never used, so it still serves the next request.
  assert.equal((await send(connection, {}).done).body, 'fine');
  assert.equal(bytes, 'GET / HTTP/1.1\r\nhost: up\r\n\r\n');
  connection.destroy();
});

test('a response that ends before its request body does leaves the connection unusable', async () => {
  const { port } = await upstream((socket) =>
    socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n'),
  );
  const { connection, isGone } = connect(port);
  const body = new PassThrough();
  const r = send(connection, { method: 'POST', headers: { host: 'up', 'content-length': '100' }, body });
  body.write('x');
  const out = await r.done;
  assert.equal(out.status, 413);
  assert.equal(out.reusable, false);
  await until(isGone, 'the connection closed');
});

test('the upstream closing before or during a response is a reset, and the connection is gone', async () => {
  const { port } = await upstream((socket, data) => {
    if (data.includes('/before')) socket.end();
    else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf');
  });
  const before = connect(port);
  const a = await send(before.connection, { path: '/before' }).done;
  assert.ok(a.error instanceof UpstreamResetError);
  assert.equal(a.status, undefined);
  await until(before.isGone, 'the connection closed');
  const during = connect(port);
  const b = await send(during.connection, { path: '/during' }).done;
  assert.equal(b.status, 200);
  assert.equal(b.body, 'half');
  assert.ok(b.error instanceof UpstreamResetError);
});

test('an idle connection the upstream ends is never handed another request', async () => {
  const { port, sockets } = await upstream((socket) => socket.write(OK('ok')));
  const { connection, isGone } = connect(port);
  const first = await send(connection, {}).done;
  assert.equal(first.reusable, true);
  assert.equal(connection.idle, true);
  // The upstream closes its side of the idle connection (as a server ending keep-alive does).
  const eof = new Promise<boolean>((resolve) =>
    connection.socket.once('end', () => resolve(connection.idle)),
  );
  sockets[0]!.end();
  assert.equal(await eof, false, 'idle right after the end of the upstream side');
  await until(isGone, 'the connection closed');
});

test('a body delimited by the close ends normally at the close', async () => {
  const { port } = await upstream((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
  const out = await send(connect(port).connection, {}).done;
  assert.equal(out.error, undefined);
  assert.equal(out.body, 'until the end');
  assert.equal(out.reusable, false);
});

test('garbage is a protocol error; bytes with no request outstanding close the connection', async () => {
  const { port, sockets } = await upstream((socket, data) => {
    if (data.includes('/garbage')) socket.write('NOT HTTP\r\n\r\n');
    else socket.write(OK('ok'));
  });
  const a = await send(connect(port).connection, { path: '/garbage' }).done;
  assert.ok(a.error instanceof UpstreamProtocolError);
  const idle = connect(port);
  assert.equal((await send(idle.connection, {}).done).reusable, true);
  sockets.at(-1)!.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  await until(idle.isGone, 'the connection closed');
});

test('a refused connection fails its request with the socket error', async () => {
  const { port } = await upstream(() => {});
  servers.at(-1)!.close();
  await new Promise((r) => setTimeout(r, 10));
  const { connection, isGone } = connect(port);
  const out = await send(connection, {}).done;
  assert.equal((out.error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  assert.equal(out.started, false);
  await until(isGone, 'the connection closed');
});

test('pausing a response stops reading from the socket; resuming reads on', async () => {
  const { port } = await upstream((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
    setTimeout(() => socket.write('3\r\ndef\r\n0\r\n\r\n'), 20);
  });
  const { connection } = connect(port);
  const r = send(connection, {});
  await until(() => r.out.body === 'abc', 'the first chunk');
  r.out.controller!.pause();
  assert.equal(connection.socket.isPaused(), true);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(r.out.body, 'abc');
  r.out.controller!.resume();
  const out = await r.done;
  assert.equal(out.body, 'abcdef');
  assert.equal(connection.socket.isPaused(), false);
  connection.destroy();
});

test('the idle timeout closes an idle connection but not one waiting for its response', async () => {
  const { port } = await upstream((socket) => setTimeout(() => socket.write(OK('slow')), 120));
  const { connection, isGone } = connect(port, 40);
  const out = await send(connection, {}).done;
  assert.equal(out.body, 'slow');
  assert.equal(isGone(), false);
  await until(isGone, 'the connection closed');
});
