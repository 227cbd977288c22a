import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { cluster, endpoints, httpListener, route, routeConfig, vhost } from './testing/resources.ts';
import { GROUPS } from './http1/fixtures/requests.ts';
import { random, seededMutants } from './http1/fixtures/harness.ts';
import { until } from './testing/control-plane.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';

let h: Harness;
let up: Echo;
let port: number;

before(async () => {
  h = await startHarness();
  up = await echoServer('up');
  await h.push({
    clusters: [cluster('up')],
    endpoints: [endpoints('up', [{ host: '127.0.0.1', port: up.port }])],
    listeners: [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'bad' })],
    routes: [routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, 'up')])])],
  });
  port = h.port('main');
});

after(async () => {
  await h.close();
  await up.close();
});

/** Sends raw bytes and collects everything the proxy answers until it closes the connection. */
function raw(bytes: string | Buffer, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, waitMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(bytes);
  });
}

async function stillInSync(): Promise<void> {
  const before = up.seen.length;
  const r = await request(port, '/after');
  assert.equal(r.status, 200);
  assert.equal(up.seen.length, before + 1);
  assert.equal(up.seen.at(-1)!.url, '/after');
}

const cases: [string, string | Buffer, number][] = [
  [
    'conflicting Content-Length and Transfer-Encoding',
    'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    400,
  ],
  [
    'duplicate Content-Length',
    'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    400,
  ],
  ['obsolete line folding', 'GET /x HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n', 400],
  ['invalid header name character', 'GET /x HTTP/1.1\r\nHost: a\r\nBad Header: v\r\n\r\n', 400],
  ['control character in a header value', 'GET /x HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n', 400],
  ['garbage request line', 'HELLO\r\n\r\n', 400],
  [
    'unsupported transfer coding before chunked',
    'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
    400,
  ],
  ['oversized headers', `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`, 431],
  ['oversized URI', `GET /${'u'.repeat(17 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`, 414],
];

for (const [name, bytes, status] of cases) {
  test(`${name}: ${status} and the connection is closed; the upstream never sees it`, async () => {
    const seen = up.seen.length;
    const r = await raw(bytes);
    assert.match(r.text, new RegExp(`^HTTP/1\\.1 ${status} `), JSON.stringify(r.text.slice(0, 200)));
    assert.ok(r.closed, 'connection closed');
    assert.equal(up.seen.length, seen, 'nothing reached the upstream');
    assert.ok(!up.seen.some((s) => s.url === '/smuggled'));
    await stillInSync();
  });
}

test('invalid chunk size mid-body: 400 and the upstream request is reset, not left half-sent', async () => {
  const r = await raw(
    'POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n',
  );
  assert.match(r.text, /^HTTP\/1\.1 400 /);
  assert.ok(r.closed);
  await stillInSync();
});

test('pipelined requests get their responses in order on one connection', async () => {
  const r = await raw(
    'GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  const first = r.text.indexOf('"url":"/one"');
  const second = r.text.indexOf('"url":"/two"');
  assert.ok(first > 0 && second > first, r.text);
  assert.equal((r.text.match(/HTTP\/1\.1 200 /g) ?? []).length, 2);
});

test('HTTP/2 protocol errors end that connection only', async () => {
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  // A SETTINGS frame with a length that is not a multiple of 6 is a FRAME_SIZE_ERROR.
  const badSettings = Buffer.from([0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
  const r = await raw(Buffer.concat([Buffer.from(preface), badSettings]));
  assert.ok(r.closed);
  // A healthy h2c client still gets through.
  const client = http2.connect(`http://127.0.0.1:${port}`);
  const body = await new Promise<string>((resolve, reject) => {
    const s = client.request({ ':path': '/h2', ':authority': 'a' });
    let data = '';
    s.on('data', (c: Buffer) => (data += c.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
  client.close();
  assert.equal(JSON.parse(body).url, '/h2');
  await stillInSync();
  assert.ok((h.proxy.stats.value('http.bad.downstream_cx_protocol_error') ?? 0) >= cases.length);
});

test('the request corpus and its seeded mutants, in random pieces, pipelined, half-closed or reset: the proxy stays up and in sync', async () => {
  const corpus = GROUPS.flatMap((g) => g.cases);
  const mutants = seededMutants(corpus, { count: 300, shorterThan: 300, from: (m) => m });
  const inputs = [...corpus, ...mutants].map((c) => c.bytes);
  const rand = random(0xfa11);
  const pick = () => inputs[rand(inputs.length)]!;
  /** One connection: a valid request first now and then, the input in 1–3 pieces, then an end, a reset or a wait. */
  const session = async (): Promise<void> => {
    const bytes = rand(4) === 0 ? Buffer.concat([corpus[0]!.bytes, pick()]) : pick();
    const cuts = [rand(bytes.length + 1), rand(bytes.length + 1)].sort((a, b) => a - b);
    const ending = rand(3);
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume();
    await new Promise((r) => socket.once('connect', r));
    for (const [from, to] of [
      [0, cuts[0]],
      [cuts[0], cuts[1]],
      [cuts[1], bytes.length],
    ] as const) {
      socket.write(bytes.subarray(from, to));
      await new Promise((r) => setImmediate(r));
    }
    if (ending === 0) socket.destroy();
    else if (ending === 1) socket.end();
    else await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
  };
  const sessions = Array.from({ length: 600 }, () => session);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let next = sessions.pop(); next; next = sessions.pop()) await next();
    }),
  );
  await until(
    () =>
      h.proxy.stats.value('http.bad.downstream_cx_active') === 0 &&
      h.proxy.stats.value('http.bad.downstream_rq_active') === 0,
    'the proxy done with every connection',
  );
  // Requests of reset connections may still reach the upstream: the answer must be to this one.
  const r = await request(port, '/after-mutants');
  assert.equal(r.status, 200);
  assert.equal(r.json<{ url: string }>().url, '/after-mutants');
  assert.ok(!up.seen.some((s) => s.url === '/smuggled' || s.url === '/admin'));
});

test('no connection is left behind: the proxy closes a closing connection even if its client never does', async () => {
  const seen = up.seen.length;
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let text = '';
  client.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const ended = new Promise((resolve) => client.once('end', resolve));
  // The second request waits, unparsed, while the first is answered; the answer closes the connection.
  client.write(
    'GET /closing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /held HTTP/1.1\r\nHost: a\r\n\r\n',
  );
  await ended;
  assert.equal((text.match(/HTTP\/1\.1 200 /g) ?? []).length, 1, text);
  assert.deepEqual(
    up.seen.slice(seen).map((s) => s.url),
    ['/closing'],
  );
  // This client and every other one of this file are done: the proxy must hold no connection or request.
  await until(
    () =>
      h.proxy.stats.value('http.bad.downstream_cx_active') === 0 &&
      h.proxy.stats.value('http.bad.downstream_rq_active') === 0,
    'no active downstream connection or request',
  );
  client.destroy();
});
