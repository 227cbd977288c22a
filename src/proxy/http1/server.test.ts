// The downstream HTTP/1.1 server connection over real sockets: request order under pipelining,
// body flow control, responses that end before their request, tunnels, framing of responses for
// each request version, timeouts and draining.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { DownstreamProtocolError } from '../errors.ts';
import { ConnectionSet } from './server.ts';
import type { ServerHandler, ServerOptions, ServerRequest } from './server.ts';
import type { ServerResponse } from './server-response.ts';

type OnRequest = (req: ServerRequest, res: ServerResponse) => void;

const OPTIONS: ServerOptions = {
  maxHeaderBytes: 8 * 1024,
  idleTimeoutMs: 0,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 0,
};

const answerOk: OnRequest = (_req, res) => res.end('ok');
const refuseTunnel: ServerHandler['tunnel'] = (_req, socket) => socket.destroy();

/** A listener whose connections go to a ConnectionSet; each test sets what answers. */
class TestServer {
  #onRequest: OnRequest = answerOk;
  #onTunnel: ServerHandler['tunnel'] = refuseTunnel;
  readonly errors: DownstreamProtocolError[] = [];
  readonly connections: ConnectionSet;
  /** The server side of the newest connection. */
  lastAccepted: net.Socket | undefined;
  readonly #server: net.Server;
  port = 0;

  constructor(options: ServerOptions) {
    this.connections = new ConnectionSet(options, {
      request: (req, res) => this.#onRequest(req, res),
      tunnel: (req, socket, head) => this.#onTunnel(req, socket, head),
      protocolError: (e) => this.errors.push(e),
    });
    this.#server = net.createServer((socket) => {
      this.lastAccepted = socket;
      this.connections.add(socket);
    });
  }

  handle(onRequest: OnRequest): void {
    this.#onRequest = onRequest;
  }

  handleTunnel(onTunnel: ServerHandler['tunnel']): void {
    this.#onTunnel = onTunnel;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.connections.close();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** Sends raw bytes and collects everything the server sends until it closes (or `until` matches). */
async function exchange(
  port: number,
  send: string | string[],
  until?: (received: string) => boolean,
): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (until?.(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('close', () => resolve(received));
    socket.on('connect', async () => {
      for (const part of typeof send === 'string' ? [send] : send) {
        socket.write(part, 'latin1');
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}

const count = (text: string, what: string) => text.split(what).length - 1;
const server = new TestServer(OPTIONS);
before(() => server.start());
after(() => server.stop());

test('pipelined requests are answered in order, each parsed only after the response before it', async () => {
  const order: string[] = [];
  const slow: ServerResponse[] = [];
  server.handle((req, res) => {
    order.push(req.url);
    // The first request answers late: the second must not be seen before that.
    if (req.url === '/1') {
      slow.push(res);
      setTimeout(() => res.end('one'), 50);
    } else res.end(req.url === '/2' ? 'two' : 'three');
  });
  const text = await exchange(
    server.port,
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  assert.deepEqual(order, ['/1', '/2', '/3']);
  const bodies = [...text.matchAll(/\r\n\r\n([0-9a-f]+)\r\n(\w+)\r\n0\r\n\r\n/g)].map((m) => m[2]);
  assert.deepEqual(bodies, ['one', 'two', 'three']);
  assert.match(text.slice(text.lastIndexOf('HTTP/1.1')), /connection: close/);
});

test('a paused body is held in the connection until resumed, then read to its end', async () => {
  let chunks = 0;
  server.handle((req, res) => {
    req.on('data', () => chunks++);
    req.pause();
    setTimeout(() => {
      assert.equal(chunks, 0);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.once('end', () => res.end(`got ${body}`));
      req.resume();
    }, 60);
  });
  const text = await exchange(
    server.port,
    [
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
      '3\r\nabc\r\n',
      '2\r\nde\r\n0\r\n\r\n',
    ],
    (t) => t.includes('got abcde'),
  );
  assert.match(text, /got abcde/);
});

test('a response that ends before its request body: the body is read and dropped, the next request follows', async () => {
  const seen: string[] = [];
  server.handle((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    // Held, as the connection manager holds a body until it has an upstream for it.
    req.pause();
    res.writeHead(413, { 'content-length': '0' });
    res.end();
  });
  const text = await exchange(server.port, [
    'POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234',
    '56789GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  ]);
  assert.deepEqual(seen, ['POST /big', 'GET /next']);
  assert.equal(count(text, 'HTTP/1.1 413'), 2);
});

test('Expect: 100-continue gets an interim response before the body is read', async () => {
  server.handle((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.once('end', () => res.end(body));
  });
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write('PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
  const interim = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
  assert.equal(interim, 'HTTP/1.1 100 Continue\r\n\r\n');
  socket.write('data');
  let final = '';
  await new Promise<void>((r) =>
    socket.on('data', (d: Buffer) => {
      final += d.toString();
      if (final.endsWith('0\r\n\r\n')) r();
    }),
  );
  assert.match(final, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n4\r\ndata\r\n0\r\n\r\n$/);
  socket.destroy();
});

test('CONNECT and upgrades leave HTTP with the bytes that followed their head', async () => {
  const tunnels: { method: string; url: string; head: string }[] = [];
  server.handleTunnel((req, socket, head) => {
    tunnels.push({ method: req.method, url: req.url, head: head.toString('latin1') });
    socket.end('tunnel open');
  });
  const connect = await exchange(server.port, 'CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\nhello');
  const upgrade = await exchange(
    server.port,
    'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00',
  );
  assert.equal(connect, 'tunnel open');
  assert.equal(upgrade, 'tunnel open');
  assert.deepEqual(tunnels, [
    { method: 'CONNECT', url: 'db:5432', head: 'hello' },
    { method: 'GET', url: '/ws', head: '\x81\x00' },
  ]);
});

test('responses are framed for the request: length, chunks with trailers, HTTP/1.0 close, HEAD and 204', async () => {
  server.handle((req, res) => {
    if (req.url === '/length') {
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    } else if (req.url === '/trailers') {
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.write('body');
      res.addTrailers({ 'grpc-status': '0' });
      res.end();
    } else if (req.url === '/own-framing') {
      // Framing fields from the caller are the codec's to decide, never written twice.
      res.writeHead(200, { 'transfer-encoding': 'gzip, chunked', connection: 'keep-alive' });
      res.end('x');
    } else if (req.url === '/empty') {
      res.writeHead(204, { 'x-a': 'b' });
      res.end();
    } else res.end('streamed');
  });
  const length = await exchange(server.port, 'GET /length HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(length, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(length, /content-length: 5\r\n/);
  assert.match(length, /connection: close\r\n/);
  assert.match(length, /date: \w{3}, \d\d \w{3} \d{4}/);
  assert.ok(length.endsWith('\r\n\r\nhello'));
  const chunked = await exchange(
    server.port,
    'GET /trailers HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  assert.match(chunked, /transfer-encoding: chunked\r\n/);
  assert.ok(chunked.endsWith('\r\n\r\n4\r\nbody\r\n0\r\ngrpc-status: 0\r\n\r\n'), chunked);
  // HTTP/1.0 cannot read chunks: the body runs to the close.
  const http10 = await exchange(server.port, 'GET /other HTTP/1.0\r\n\r\n');
  assert.doesNotMatch(http10, /transfer-encoding/);
  assert.ok(http10.endsWith('\r\n\r\nstreamed'));
  // HTTP/1.0 keep-alive needs a length; the response says keep-alive and the connection stays.
  const kept = await exchange(server.port, 'GET /length HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', (t) =>
    t.endsWith('hello'),
  );
  assert.match(kept, /connection: keep-alive\r\n/);
  const head = await exchange(server.port, 'HEAD /length HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(head, /content-length: 5\r\n/);
  assert.ok(head.endsWith('\r\n\r\n'), 'no body after a HEAD response');
  const own = await exchange(
    server.port,
    'GET /own-framing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  assert.equal(count(own.toLowerCase(), 'transfer-encoding'), 1);
  assert.equal(count(own.toLowerCase(), 'connection:'), 1);
  assert.match(own, /transfer-encoding: chunked\r\n/);
  assert.match(own, /connection: close\r\n/);
  assert.ok(own.endsWith('\r\n\r\n1\r\nx\r\n0\r\n\r\n'), own);
  const empty = await exchange(server.port, 'GET /empty HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(empty, /^HTTP\/1\.1 204 No Content\r\n/);
  assert.doesNotMatch(empty, /transfer-encoding|content-length/);
});

test('a response header with CR or LF is refused before anything is written', () => {
  server.handle((_req, res) => {
    assert.throws(() => res.writeHead(200, { 'x-evil': 'a\r\nset-cookie: b' }), {
      code: 'RESPONSE_HEADER_INVALID',
    });
    assert.throws(() => res.writeHead(200, { 'bad name': 'a' }), { code: 'RESPONSE_HEADER_INVALID' });
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok');
  });
  return exchange(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').then((text) => {
    assert.match(text, /^HTTP\/1\.1 200 OK/);
    assert.doesNotMatch(text, /set-cookie/);
  });
});

test('a protocol error is answered with its status and the connection closes; the request never reaches the handler', async () => {
  let requests = 0;
  server.handle((_req, res) => {
    requests++;
    res.end('ok');
  });
  const before = server.errors.length;
  const smuggled = await exchange(
    server.port,
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n',
  );
  assert.match(smuggled, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(count(smuggled, 'HTTP/1.1'), 1);
  const big = await exchange(server.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.equal(requests, 0);
  assert.deepEqual(
    server.errors.slice(before).map((e) => e.status),
    [400, 431],
  );
});

test('a closing connection is closed by the server even when its client never closes, with bytes held back or unread', async () => {
  const seen: string[] = [];
  server.handle((req, res) => {
    seen.push(req.url);
    // Answered late: the pipelined request behind it is held, unparsed, with the socket paused.
    setTimeout(() => res.end('bye'), 20);
  });
  /**
   * What a client that sends `bytes` and never ends its side receives, once the server has closed
   * the connection (the client, half-open, would wait for ever).
   */
  const neverEnding = async (bytes: string) => {
    const client = net.connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    client.on('data', (d: Buffer) => (received += d.toString('latin1')));
    await new Promise((r) => client.once('connect', r));
    await new Promise((r) => setImmediate(r));
    const accepted = server.lastAccepted!;
    const closed = new Promise((r) => accepted.once('close', r));
    client.write(bytes, 'latin1');
    await closed;
    client.destroy();
    return received;
  };
  const closing = await neverEnding(
    'GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: a\r\n\r\n',
  );
  assert.match(closing, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close[\s\S]*bye/);
  const refused = await neverEnding('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\nmore bytes');
  assert.match(refused, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.deepEqual(seen, ['/last']);
});

test('a connection that closes mid-response closes the response too, unfinished', async () => {
  const closed = Promise.withResolvers<boolean>();
  server.handle((_req, res) => {
    res.writeHead(200, {});
    res.write('part');
    res.once('close', () => closed.resolve(res.writableFinished));
  });
  await exchange(server.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', (t) => t.includes('part'));
  assert.equal(await closed.promise, false);
});

test('draining: the response in progress says connection: close and the connection ends after it', async () => {
  server.handle((_req, res) => {
    server.connections.drain();
    res.writeHead(200, { connection: 'close', 'content-length': '2' });
    res.end('ok');
  });
  const text = await exchange(server.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(text, /connection: close\r\n/);
  assert.ok(text.endsWith('ok'));
});

test('a request head that takes too long gets 408; an idle connection closes quietly', async () => {
  const slow = new TestServer({ ...OPTIONS, headersTimeoutMs: 100, idleTimeoutMs: 100 });
  await slow.start();
  try {
    const late = await exchange(slow.port, 'GET / HTTP/1.1\r\nHost: a\r\n');
    assert.match(late, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    const idle = await exchange(slow.port, []);
    assert.equal(idle, '');
  } finally {
    await slow.stop();
  }
});
