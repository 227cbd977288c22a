import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UpstreamProtocolError } from '../errors.ts';
import { MAX_HEADER_BYTES } from './parser.ts';
import { ResponseParser } from './response-parser.ts';
import type { ResponseHead, ResponseHeaders } from './response-parser.ts';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  ends: { trailers: ResponseHeaders; reusable: boolean }[];
  error?: string;
}

/** Feeds `pieces` to a parser expecting one response to `method`; `eof` closes the connection. */
function parse(pieces: readonly string[], method = 'GET', eof = false): Parsed {
  const out: Parsed = { heads: [], body: '', ends: [] };
  const parser = new ResponseParser({
    onHead: (head) => out.heads.push(head),
    onBody: (chunk) => (out.body += chunk.toString('latin1')),
    onEnd: (trailers, reusable) => out.ends.push({ trailers, reusable }),
  });
  parser.expect(method);
  try {
    for (const p of pieces) parser.execute(Buffer.from(p, 'latin1'));
    if (eof && !parser.finish()) out.error = 'cut';
  } catch (e) {
    assert.ok(e instanceof UpstreamProtocolError, String(e));
    out.error = e.message;
  }
  return out;
}

/** Parses `raw` whole and split at every byte boundary; every way must give the same result. */
function parseEveryWay(raw: string, method = 'GET', eof = false): Parsed {
  const whole = parse([raw], method, eof);
  for (let i = 1; i < raw.length; i++) {
    const split = parse([raw.slice(0, i), raw.slice(i)], method, eof);
    // Where a response ends exactly at the split, nothing lies beyond it: it may be reusable.
    const normalise = (p: Parsed) => ({ ...p, ends: p.ends.map((e) => ({ ...e, reusable: undefined })) });
    assert.deepEqual(normalise(split), normalise(whole), `split at ${i}`);
  }
  assert.deepEqual(parse([...raw], method, eof).body, whole.body, 'one byte at a time');
  return whole;
}

test('a Content-Length response: status, lower-case headers, body, reusable', () => {
  const r = parseEveryWay('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
  assert.equal(r.error, undefined);
  assert.equal(r.heads[0]!.status, 200);
  assert.deepEqual(r.heads[0]!.headers, { 'content-type': 'text/plain', 'content-length': '5' });
  assert.equal(r.body, 'hello');
  assert.deepEqual(r.ends, [{ trailers: {}, reusable: true }]);
});

test('repeated headers collect into arrays; values lose surrounding whitespace, keep tabs inside', () => {
  const r = parse([
    'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nSet-Cookie:c=3\r\nX-T:\t a\tb \t\r\ncontent-length: 0\r\n\r\n',
  ]);
  assert.deepEqual(r.heads[0]!.headers['set-cookie'], ['a=1', 'b=2', 'c=3']);
  assert.equal(r.heads[0]!.headers['x-t'], 'a\tb');
});

test('chunked bodies, with extensions and trailers, in any split', () => {
  const r = parseEveryWay(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1;a=b;c;d="x; \\"y\\""\r\n \r\n6\r\nworld!\r\n0\r\nGrpc-Status: 0\r\ngrpc-message: ok\r\n\r\n',
  );
  assert.equal(r.error, undefined);
  assert.equal(r.body, 'hello world!');
  assert.deepEqual(r.ends, [{ trailers: { 'grpc-status': '0', 'grpc-message': 'ok' }, reusable: true }]);
  const plain = parseEveryWay(
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n',
  );
  assert.equal(plain.body, '0123456789');
  assert.deepEqual(plain.ends, [{ trailers: {}, reusable: true }]);
});

test('no body for HEAD, 204 and 304, whatever Content-Length says', () => {
  const head = parseEveryWay('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', 'HEAD');
  assert.equal(head.heads[0]!.headers['content-length'], '1234');
  assert.deepEqual(head.ends, [{ trailers: {}, reusable: true }]);
  for (const status of ['204 No Content', '304 Not Modified']) {
    const r = parseEveryWay(`HTTP/1.1 ${status}\r\nETag: "x"\r\n\r\n`);
    assert.equal(r.body, '');
    assert.equal(r.ends.length, 1);
  }
});

test('interim 1xx responses are skipped; the final response is reported', () => {
  const r = parseEveryWay(
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
  );
  assert.deepEqual(
    r.heads.map((h) => h.status),
    [201],
  );
  assert.equal(r.body, 'ok');
});

test('a body without length runs to the close, and the connection is not reused', () => {
  const r = parseEveryWay('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it', 'GET', true);
  assert.equal(r.heads[0]!.keepAlive, false);
  assert.equal(r.body, 'all of it');
  assert.deepEqual(r.ends, [{ trailers: {}, reusable: false }]);
  const other = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz'], 'GET', true);
  assert.equal(other.body, 'xyz');
  assert.equal(other.ends[0]!.reusable, false);
});

test('keep-alive follows the version and Connection', () => {
  const cases: [string, boolean][] = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
  ];
  for (const [raw, keepAlive] of cases) {
    const r = parse([raw]);
    assert.equal(r.heads[0]!.keepAlive, keepAlive, raw);
    assert.equal(r.ends[0]!.reusable, keepAlive, raw);
  }
});

test('bytes beyond the response make the connection unusable, and bytes with no request are an error', () => {
  const r = parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA']);
  assert.equal(r.body, 'ok');
  assert.deepEqual(r.ends, [{ trailers: {}, reusable: false }]);
  assert.match(r.error ?? '', /no request outstanding/);
});

test('a response cut by the close is reported as cut, not as complete', () => {
  assert.equal(parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'], 'GET', true).error, 'cut');
  assert.equal(
    parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'], 'GET', true).error,
    'cut',
  );
  assert.equal(parse(['HTTP/1.1 200 O'], 'GET', true).error, 'cut');
  assert.equal(parse([], 'GET', true).error, 'cut');
});

test('framing that could desynchronise the connection is refused', () => {
  const bad: [string, RegExp][] = [
    [
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
      /both Transfer-Encoding and Content-Length/,
    ],
    ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', /more than one Content-Length/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n', /more than one Content-Length/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n', /invalid Content-Length/],
    ['HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n', /invalid Content-Length/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999\r\n\r\n', /invalid Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', /not the final transfer coding/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', /not the final/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 ;a=b\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b c\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n', /a tab after the value of Transfer-Encoding/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: ,chunked\r\n\r\n', /invalid Transfer-Encoding/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n', /invalid Transfer-Encoding/],
    [
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      /more than one Content-Length/,
    ],
    ['HTTP/1.1 100 Continue\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /chunk data not followed by CRLF/],
    [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\n0\r\n\r\n',
      /chunk data not followed by CRLF/,
    ],
    ['HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', /204 response with a body length/],
  ];
  for (const [raw, message] of bad) {
    const r = parse([raw, '']);
    assert.match(r.error ?? 'accepted', message, JSON.stringify(raw));
  }
});

test('malformed heads are refused: status line, names, values, folding, bare LF', () => {
  const bad: [string, RegExp][] = [
    ['HTTP/1.2 200 OK\r\n\r\n', /malformed status line/],
    ['HTTP/2.0 200 OK\r\n\r\n', /malformed status line/],
    ['HTTP/1.1 20 OK\r\n\r\n', /malformed status line/],
    ['HTTP/1.1 099 Low\r\n\r\n', /malformed status line/],
    ['http/1.1 200 OK\r\n\r\n', /malformed status line/],
    ['HTTP/1.1 200 OK\r\n\r\n'.replace('OK', 'O\x00K'), /malformed status line/],
    ['\r\nHTTP/1.1 200 OK\r\n\r\n', /malformed status line/],
    ['HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n', /invalid header name/],
    ['HTTP/1.1 200 OK\r\n: x\r\n\r\n', /malformed header line/],
    ['HTTP/1.1 200 OK\r\nno-colon\r\n\r\n', /malformed header line/],
    ['HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n', /invalid characters in header X/],
    ['HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n', /invalid characters in header X/],
    ['HTTP/1.1 200 OK\r\nX: a\nContent-Length: 0\r\n\r\n', /invalid characters in header X/],
    ['HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n', /obsolete line folding/],
    ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /unexpected 101/],
  ];
  for (const [raw, message] of bad)
    assert.match(parse([raw]).error ?? 'accepted', message, JSON.stringify(raw));
});

test('a status line without a reason phrase and obs-text in values are accepted', () => {
  const r = parse(['HTTP/1.1 200\r\nX-Name: caf\xe9\r\nContent-Length: 0\r\n\r\n']);
  assert.equal(r.error, undefined);
  assert.equal(r.heads[0]!.headers['x-name'], 'caf\xe9');
});

test('head, chunk line and trailer sizes are bounded', () => {
  const big = 'x'.repeat(MAX_HEADER_BYTES);
  assert.match(parse([`HTTP/1.1 200 OK\r\nX: ${big}\r\n\r\n`]).error ?? '', /header section larger than/);
  // Unterminated heads are refused as soon as they pass the limit, split or not.
  assert.match(parse(['HTTP/1.1 200 OK\r\nX: ', big]).error ?? '', /header section larger than/);
  assert.match(
    parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;', 'e'.repeat(2000)]).error ?? '',
    /chunk size line larger than/,
  );
  assert.match(
    parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n', `Trailer: ${big}`]).error ?? '',
    /trailer section larger than/,
  );
  const fits = parse([
    `HTTP/1.1 200 OK\r\nX: ${'y'.repeat(MAX_HEADER_BYTES - 40)}\r\nContent-Length: 0\r\n\r\n`,
  ]);
  assert.equal(fits.error, undefined);
});

test('after an error the parser accepts nothing more', () => {
  const events: string[] = [];
  const parser = new ResponseParser({
    onHead: () => events.push('head'),
    onBody: () => events.push('body'),
    onEnd: () => events.push('end'),
  });
  parser.expect('GET');
  assert.throws(
    () => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n')),
    UpstreamProtocolError,
  );
  parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(parser.busy, false);
  assert.deepEqual(events, []);
  assert.throws(() => parser.expect('GET'), /busy/);
});
