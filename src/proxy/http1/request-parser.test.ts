import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DownstreamProtocolError } from '../errors.ts';
import { MAX_HEADER_BYTES } from './parser.ts';
import { RequestParser } from './request-parser.ts';
import type { RequestHead, RequestHeaders } from './request-parser.ts';
import { random, splits } from './fixtures/harness.ts';

interface Exchange {
  head: RequestHead;
  body: string;
  /** Set when the request ended. */
  trailers?: RequestHeaders;
}

/** What a server connection made of the bytes a client sent, then closed. */
interface Connection {
  requests: Exchange[];
  /** Where the bytes of a tunnel start, for a CONNECT or an upgrade. */
  tunnelAt?: number;
  error?: { status: number; message: string };
  /** `finish()` at the close: false if a request (or the next one) was cut short. */
  finished?: boolean;
}

/**
 * Feeds `raw` in reads that end at `cuts`, as a server does: after each request that keeps the
 * connection it calls `next()` and goes on from where `execute` stopped; it stops at a request
 * that closes the connection, and at a tunnel.
 */
function serve(
  raw: string | Buffer,
  cuts: readonly number[] = [],
  maxHeaderBytes = MAX_HEADER_BYTES,
): Connection {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
  const out: Connection = { requests: [] };
  let current: Exchange | undefined;
  let ended = false;
  const parser = new RequestParser(
    {
      onHead: (head) => out.requests.push((current = { head, body: '' })),
      onBody: (chunk) => (current!.body += chunk.toString('latin1')),
      onEnd: (trailers) => {
        current!.trailers = trailers;
        ended = true;
      },
    },
    maxHeaderBytes,
  );
  try {
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      const piece = bytes.subarray(from, cut);
      let at = 0;
      while (at < piece.length) {
        at = parser.execute(piece, at);
        if (current?.head.tunnel) {
          out.tunnelAt = from + at;
          return out;
        }
        if (!ended) continue;
        if (!current!.head.keepAlive) return out;
        ended = false;
        parser.next();
      }
      from = cut;
    }
    out.finished = parser.finish();
  } catch (e) {
    assert.ok(e instanceof DownstreamProtocolError, String(e));
    assert.equal(e.code, 'DOWNSTREAM_PROTOCOL_ERROR');
    out.error = { status: e.status, message: e.message };
  }
  return out;
}

/** Serves `raw` in one read and in reads split every way; every way must give the same result. */
function serveEveryWay(raw: string, maxHeaderBytes = MAX_HEADER_BYTES): Connection {
  const whole = serve(raw, [], maxHeaderBytes);
  const bytes = Buffer.from(raw, 'latin1');
  for (const cuts of splits(bytes, random(raw.length)))
    assert.deepEqual(serve(bytes, cuts, maxHeaderBytes), whole, `reads ending at ${cuts.join(',')}`);
  return whole;
}

/** The one request of `raw`, asserting that it parsed to its end. */
function only(raw: string): Exchange {
  const c = serveEveryWay(raw);
  assert.equal(c.error, undefined, c.error?.message);
  assert.equal(c.requests.length, 1);
  return c.requests[0]!;
}

/** The error `raw` is refused with, in any split. */
function refused(raw: string, maxHeaderBytes = MAX_HEADER_BYTES): { status: number; message: string } {
  const c = serveEveryWay(raw, maxHeaderBytes);
  assert.ok(c.error, `accepted ${JSON.stringify(raw)}`);
  return c.error;
}

const HOST = 'Host: example.com\r\n';

test('the four forms of request target, as sent', () => {
  const forms: [string, string, string][] = [
    ['GET', '/a/b?x=1&y=%2F', 'origin'],
    ['GET', 'http://example.com:8080/p?q', 'absolute'],
    ['CONNECT', 'example.com:443', 'authority'],
    ['OPTIONS', '*', 'asterisk'],
  ];
  for (const [method, target, form] of forms) {
    const c = serveEveryWay(`${method} ${target} HTTP/1.1\r\n${HOST}\r\n`);
    const head = c.requests[0]?.head;
    assert.equal(head?.method, method, form);
    assert.equal(head?.target, target, form);
    assert.equal(head?.http10, false, form);
    assert.equal(head?.tunnel, method === 'CONNECT', form);
  }
});

test('a GET: lower-case names, repeats in arrays, values trimmed of whitespace', () => {
  const r = only(`GET / HTTP/1.1\r\n${HOST}Accept: a\r\naccept: b\r\nX-T:\t x\ty \t\r\nX-Empty:\r\n\r\n`);
  assert.deepEqual(r.head.headers, { host: 'example.com', accept: ['a', 'b'], 'x-t': 'x\ty', 'x-empty': '' });
  assert.equal(r.head.hasBody, false);
  assert.equal(r.body, '');
  assert.deepEqual(r.trailers, {});
});

test('keep-alive follows the version and Connection', () => {
  const cases: [string, string, boolean][] = [
    ['1.1', '', true],
    ['1.1', 'Connection: close\r\n', false],
    ['1.1', 'Connection: Upgrade-Insecure, CLOSE\r\n', false],
    ['1.1', 'Connection: keep-alive\r\nConnection: close\r\n', false],
    ['1.1', 'Connection: keep-alive\r\n', true],
    ['1.0', '', false],
    ['1.0', 'Connection: keep-alive\r\n', true],
    ['1.0', 'Connection: foo, Keep-Alive\r\n', true],
    ['1.0', 'Connection: foo\r\n', false],
  ];
  for (const [version, fields, keepAlive] of cases) {
    const raw = `GET / HTTP/${version}\r\n${HOST}${fields}\r\n`;
    const head = only(raw).head;
    assert.equal(head.keepAlive, keepAlive, raw);
    assert.equal(head.http10, version === '1.0', raw);
    // The server reads another request only on a connection kept alive.
    assert.equal(serve(raw + raw).requests.length, keepAlive ? 2 : 1, raw);
  }
});

test('Host: required once in HTTP/1.1, optional in HTTP/1.0, never twice', () => {
  assert.match(refused('GET / HTTP/1.1\r\n\r\n').message, /no Host in an HTTP\/1\.1 request/);
  assert.match(refused('GET http://example.com/ HTTP/1.1\r\nAccept: */*\r\n\r\n').message, /no Host/);
  assert.match(refused(`GET / HTTP/1.1\r\n${HOST}Host: other.example\r\n\r\n`).message, /more than one Host/);
  assert.match(refused(`GET / HTTP/1.1\r\n${HOST}${HOST}\r\n`).message, /more than one Host/);
  assert.match(refused(`GET / HTTP/1.0\r\n${HOST}${HOST}\r\n`).message, /more than one Host/);
  assert.equal(only('GET / HTTP/1.0\r\n\r\n').head.headers.host, undefined);
  assert.equal(only('GET / HTTP/1.1\r\nhOsT: example.com:81\r\n\r\n').head.headers.host, 'example.com:81');
});

test('no length means no body: what follows is the next request', () => {
  const c = serveEveryWay(`POST /a HTTP/1.1\r\n${HOST}\r\nGET /b HTTP/1.1\r\n${HOST}\r\n`);
  assert.deepEqual(
    c.requests.map((r) => [r.head.method, r.head.target, r.head.hasBody, r.body]),
    [
      ['POST', '/a', false, ''],
      ['GET', '/b', false, ''],
    ],
  );
});

test('a Content-Length body, and Content-Length 0', () => {
  const r = only(`POST / HTTP/1.1\r\n${HOST}Content-Length: 011\r\n\r\nhello world`);
  assert.equal(r.head.hasBody, true);
  assert.equal(r.body, 'hello world');
  const empty = only(`POST / HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n`);
  assert.equal(empty.head.hasBody, false);
  assert.deepEqual(empty.trailers, {});
});

test('a chunked body with extensions and trailers', () => {
  const r = only(
    `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip, Chunked\r\n\r\n` +
      '5;name=value\r\nhello\r\n1;a=b;c;d="x; \\"y\\""\r\n \r\nA\r\n0123456789\r\n0;last\r\nX-Sum: abc\r\nx-sum: def\r\nX-Other: 1\r\n\r\n',
  );
  assert.equal(r.head.hasBody, true);
  assert.equal(r.body, 'hello 0123456789');
  assert.deepEqual(r.trailers, { 'x-sum': ['abc', 'def'], 'x-other': '1' });
});

test('framing that could desynchronise a connection is refused with 400', () => {
  const post = (fields: string) => `POST / HTTP/1.1\r\n${HOST}${fields}\r\n`;
  const bad: [string, RegExp][] = [
    [
      post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'),
      /both Transfer-Encoding and Content-Length/,
    ],
    [
      post('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n'),
      /both Transfer-Encoding and Content-Length/,
    ],
    [post('Content-Length: 5\r\nContent-Length: 5\r\n'), /more than one Content-Length/],
    [post('Content-Length: 5\r\nContent-Length: 6\r\n'), /more than one Content-Length/],
    [post('Content-Length: 5, 5\r\n'), /invalid Content-Length/],
    [post('Content-Length: +5\r\n'), /invalid Content-Length/],
    [post('Content-Length: -1\r\n'), /invalid Content-Length/],
    [post('Content-Length: 0x5\r\n'), /invalid Content-Length/],
    [post('Content-Length:\r\n'), /invalid Content-Length/],
    [post('Content-Length: 1000000000000000\r\n'), /invalid Content-Length/],
    [post('Transfer-Encoding: gzip\r\n'), /chunked is not the final transfer coding of a request/],
    [post('Transfer-Encoding: chunked, gzip\r\n'), /chunked is not the final transfer coding/],
    [post('Transfer-Encoding: xchunked\r\n'), /chunked is not the final transfer coding of a request/],
    [post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'), /not the final transfer coding/],
    [post('Transfer-Encoding: chunked\t\r\n'), /a tab after the value of Transfer-Encoding/],
    [post('Transfer-Encoding: "chunked"\r\n'), /invalid Transfer-Encoding/],
    [
      'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      /Transfer-Encoding in an HTTP\/1\.0 request/,
    ],
    [post('Transfer-Encoding: chunked\r\n') + '5 \r\nhello\r\n0\r\n\r\n', /invalid chunk size line/],
    [post('Transfer-Encoding: chunked\r\n') + '0x5\r\nhello\r\n0\r\n\r\n', /invalid chunk size line/],
    [post('Transfer-Encoding: chunked\r\n') + 'fffffffffffffff\r\n', /invalid chunk size line/],
    [post('Transfer-Encoding: chunked\r\n') + '5\r\nhelloX\r\n0\r\n\r\n', /chunk data not followed by CRLF/],
    [
      post('Transfer-Encoding: chunked\r\n') + '5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n',
      /obsolete line folding/,
    ],
  ];
  for (const [raw, message] of bad) {
    const error = refused(raw);
    assert.match(error.message, message, JSON.stringify(raw));
    assert.equal(error.status, 400, JSON.stringify(raw));
  }
});

test('malformed heads are refused with 400: request line, names, values, folding, bare LF', () => {
  const bad: [string, RegExp][] = [
    ['GET / HTTP/1.2\r\n\r\n', /malformed request line/],
    ['GET / HTTP/2.0\r\n\r\n', /malformed request line/],
    ['GET / http/1.1\r\n\r\n', /malformed request line/],
    ['GET  / HTTP/1.1\r\n\r\n', /malformed request line/],
    ['GET\t/\tHTTP/1.1\r\n\r\n', /malformed request line/],
    ['GET / HTTP/1.1 \r\n\r\n', /malformed request line/],
    ['GET /a\0b HTTP/1.1\r\n\r\n', /malformed request line/],
    ['GET /\r\n\r\n', /malformed request line/],
    [' GET / HTTP/1.1\r\n\r\n', /malformed request line/],
    ['GET / HTTP/1.1\nHost: a\r\n\r\n', /malformed request line/],
    ['\nGET / HTTP/1.1\r\n\r\n', /malformed request line/],
    [`GET / HTTP/1.1\r\n${HOST}X-A: a\r\n b\r\n\r\n`, /obsolete line folding/],
    [`GET / HTTP/1.1\r\n Host: example.com\r\n\r\n`, /obsolete line folding/],
    [`GET / HTTP/1.1\r\n${HOST}Content-Length : 0\r\n\r\n`, /invalid header name/],
    [`GET / HTTP/1.1\r\n${HOST}X-\xe9: a\r\n\r\n`, /invalid header name/],
    [`GET / HTTP/1.1\r\n${HOST}: a\r\n\r\n`, /malformed header line/],
    [`GET / HTTP/1.1\r\n${HOST}no-colon\r\n\r\n`, /malformed header line/],
    [`GET / HTTP/1.1\r\n${HOST}X-A: a\0b\r\n\r\n`, /invalid characters in header X-A/],
    [`GET / HTTP/1.1\r\n${HOST}X-A: a\x7fb\r\n\r\n`, /invalid characters in header X-A/],
    [`GET / HTTP/1.1\r\n${HOST}X-A: a\rb\r\n\r\n`, /invalid characters in header X-A/],
    [`GET / HTTP/1.1\r\n${HOST}X-A: a\nContent-Length: 5\r\n\r\n`, /invalid characters in header X-A/],
  ];
  for (const [raw, message] of bad) {
    const error = refused(raw);
    assert.match(error.message, message, JSON.stringify(raw));
    assert.equal(error.status, 400, JSON.stringify(raw));
  }
});

test('empty lines before a request line are ignored, between requests too', () => {
  const c = serveEveryWay(`\r\n\r\nGET /a HTTP/1.1\r\n${HOST}\r\n\r\n\r\nGET /b HTTP/1.1\r\n${HOST}\r\n`);
  assert.deepEqual(
    c.requests.map((r) => r.head.target),
    ['/a', '/b'],
  );
  assert.equal(c.error, undefined);
});

test('a head over the limit is 431 however the reads are split, and one at the limit is read', () => {
  const limit = 256;
  const start = `GET / HTTP/1.1\r\n${HOST}X-Pad: `;
  // The limit is on the head up to its final CRLF CRLF.
  const sized = (size: number) => start + 'p'.repeat(size - start.length) + '\r\n\r\n';
  assert.equal(serveEveryWay(sized(limit), limit).requests.length, 1);
  assert.deepEqual(refused(sized(limit + 1), limit), {
    status: 431,
    message: `downstream request: header section larger than ${limit} bytes`,
  });
  // Refused once the bytes pass the limit, before any end of the head arrives.
  assert.equal(refused(start + 'p'.repeat(limit), limit).status, 431);
  assert.equal(refused(`GET /${'a'.repeat(limit)} HTTP/1.1\r\n`, limit).status, 431);
  // Empty lines before a request are dropped as they come: they do not add up to a head.
  assert.equal(serveEveryWay('\r\n'.repeat(limit) + sized(limit), limit).requests.length, 1);
  const trailers = `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\nX: ${'t'.repeat(limit)}\r\n\r\n`;
  assert.deepEqual(refused(trailers, limit), {
    status: 431,
    message: `downstream request: trailer section larger than ${limit} bytes`,
  });
});

test('pipelined requests: execute stops at the end of each; next() goes on from there', () => {
  const first = `POST /1 HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabc`;
  const second = `GET /2 HTTP/1.1\r\n${HOST}\r\n`;
  const third = `PUT /3 HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n`;
  const data = Buffer.from(first + second + third, 'latin1');
  const events: string[] = [];
  const parser = new RequestParser(
    {
      onHead: (h) => events.push(`head ${h.target}`),
      onBody: (chunk) => events.push(`body ${chunk.toString('latin1')}`),
      onEnd: () => events.push('end'),
    },
    MAX_HEADER_BYTES,
  );
  const at1 = parser.execute(data);
  assert.equal(at1, first.length);
  assert.deepEqual(events, ['head /1', 'body abc', 'end']);
  // Until the response is done, the next request waits where it is.
  assert.equal(parser.execute(data, at1), at1);
  assert.deepEqual(events.length, 3);
  parser.next();
  const at2 = parser.execute(data, at1);
  assert.equal(at2, first.length + second.length);
  parser.next();
  assert.equal(parser.execute(data, at2), data.length);
  assert.deepEqual(events, ['head /1', 'body abc', 'end', 'head /2', 'end', 'head /3', 'body de', 'end']);
  assert.equal(parser.finish(), true);
  assert.throws(() => parser.next(), /busy/);
});

test('halt() during onBody makes execute return after that chunk; the rest resumes from there', () => {
  const raw = Buffer.from(
    `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`,
  );
  const events: string[] = [];
  const parser: RequestParser = new RequestParser(
    {
      onHead: () => events.push('head'),
      onBody: (chunk) => {
        events.push(chunk.toString());
        parser.halt();
      },
      onEnd: () => events.push('end'),
    },
    MAX_HEADER_BYTES,
  );
  const stops: number[] = [];
  for (let at = 0; at < raw.length; ) stops.push((at = parser.execute(raw, at)));
  assert.deepEqual(events, ['head', 'abc', 'de', 'end']);
  assert.deepEqual(stops, [raw.indexOf('abc') + 3, raw.indexOf('de') + 2, raw.length]);
});

test('an h2c upgrade is ignored: its fields and Connection tokens go, and the request and the next one are HTTP/1.1', () => {
  const settings = 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n';
  const c = serveEveryWay(
    `POST /up HTTP/1.1\r\n${HOST}Connection: keep-alive, Upgrade, HTTP2-Settings\r\nUpgrade: H2C\r\n${settings}` +
      `Content-Length: 3\r\n\r\nabc` +
      `GET /next HTTP/1.1\r\n${HOST}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n${settings}\r\n`,
  );
  assert.equal(c.error, undefined, c.error?.message);
  assert.equal(c.tunnelAt, undefined);
  assert.deepEqual(
    c.requests.map((r) => [r.head.target, r.body, r.head.tunnel, r.head.keepAlive]),
    [
      ['/up', 'abc', false, true],
      ['/next', '', false, true],
    ],
  );
  assert.deepEqual(c.requests[0]!.head.headers, {
    host: 'example.com',
    connection: 'keep-alive',
    'content-length': '3',
  });
  assert.deepEqual(c.requests[1]!.head.headers, { host: 'example.com' });
  // Any other protocol named with h2c is still an upgrade.
  assert.equal(
    only(`GET / HTTP/1.1\r\n${HOST}Connection: upgrade\r\nUpgrade: h2c, websocket\r\n\r\n`).head.tunnel,
    true,
  );
});

test('a tunnel detaches after its head: the bytes after it are not parsed', () => {
  const tunnels = [
    `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`,
    `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 5\r\n\r\n`,
    `GET /ws HTTP/1.1\r\n${HOST}Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    `GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n`,
  ];
  for (const head of tunnels) {
    const c = serveEveryWay(head + '\x16\x03\x01 not HTTP \r\n\r\n');
    assert.equal(c.error, undefined, head);
    assert.equal(c.requests.length, 1, head);
    assert.equal(c.requests[0]!.head.tunnel, true, head);
    assert.equal(c.requests[0]!.trailers, undefined, head);
    assert.equal(c.tunnelAt, head.length, head);
  }
  const notTunnels = [
    `GET / HTTP/1.1\r\n${HOST}Upgrade: websocket\r\n\r\n`,
    `GET / HTTP/1.1\r\n${HOST}Connection: upgrade\r\n\r\n`,
    `GET / HTTP/1.1\r\n${HOST}Connection: upgrade\r\nUpgrade:\r\n\r\n`,
  ];
  for (const raw of notTunnels) assert.equal(only(raw).head.tunnel, false, raw);
});

test('expectContinue: 100-continue in an HTTP/1.1 request', () => {
  const cases: [string, string, boolean][] = [
    ['1.1', 'Expect: 100-continue\r\n', true],
    ['1.1', 'Expect: 100-Continue\r\n', true],
    ['1.1', '', false],
    ['1.1', 'Expect: something\r\n', false],
    ['1.0', 'Expect: 100-continue\r\n', false],
  ];
  for (const [version, fields, expect] of cases) {
    const raw = `POST / HTTP/${version}\r\n${HOST}${fields}Content-Length: 2\r\n\r\nok`;
    const r = only(raw);
    assert.equal(r.head.expectContinue, expect, raw);
    assert.equal(r.body, 'ok', raw);
  }
});

test('finish(): false for a request cut short, true after a whole one', () => {
  const post = `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\n`;
  for (const cut of [
    `GET / HT`,
    post + 'hel',
    `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`,
  ])
    assert.equal(serveEveryWay(cut).finished, false, cut);
  const parser = new RequestParser({ onHead() {}, onBody() {}, onEnd() {} }, MAX_HEADER_BYTES);
  parser.execute(Buffer.from(post + 'hello'));
  assert.equal(parser.finish(), true);
  // As documented for finish(): a connection closed before a request started reports false too.
  assert.equal(new RequestParser({ onHead() {}, onBody() {}, onEnd() {} }, MAX_HEADER_BYTES).finish(), false);
});

test('after an error the parser accepts nothing more', () => {
  const events: string[] = [];
  const parser = new RequestParser(
    { onHead: () => events.push('head'), onBody: () => events.push('body'), onEnd: () => events.push('end') },
    MAX_HEADER_BYTES,
  );
  assert.throws(
    () => parser.execute(Buffer.from(`GET / HTTP/1.1\r\n${HOST}X: \0\r\n\r\n`)),
    DownstreamProtocolError,
  );
  const next = Buffer.from(`GET / HTTP/1.1\r\n${HOST}\r\n`);
  assert.equal(parser.execute(next), 0);
  assert.equal(parser.busy, false);
  assert.deepEqual(events, []);
  assert.throws(() => parser.next(), /busy/);
});
