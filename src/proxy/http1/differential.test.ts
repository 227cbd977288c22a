// Differential test of the upstream HTTP/1.1 response parser. Every response of a corpus (written
// by hand in fixtures/responses.ts, plus seeded mutations of the valid ones) is parsed in one read
// and split across reads, which must not change the result, and is compared with Node's own
// HTTP/1.1 client (llhttp behind node:http) as the reference. Where the two disagree we may only be
// stricter, case by case and for a stated reason: accepting what llhttp rejects, or framing a
// response differently, fails.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { MAX_HEADER_BYTES } from './parser.ts';
import { ResponseParser } from './response-parser.ts';
import type { ResponseHead, ResponseHeaders } from './response-parser.ts';
import { GROUPS } from './fixtures/responses.ts';
import { show } from './fixtures/harness.ts';
import { differentialTests } from './fixtures/verdicts.ts';
import type { Verdict } from './fixtures/verdicts.ts';
import type { Case, Method } from './fixtures/responses.ts';

/** A whole response as one parser read it. */
interface Message {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly keepAlive: boolean;
  readonly body: string;
  readonly trailers: ResponseHeaders;
}

/** What a parser made of the bytes the upstream sent before it closed the connection. */
interface Outcome {
  /** The first response, when it was read to its end. */
  readonly message: Message | undefined;
  /** Bytes followed the response's end (ours fails on them, llhttp reports a parse error). */
  readonly afterEnd: boolean;
  readonly error: string | undefined;
}

// ---- our parser ------------------------------------------------------------------------------

interface OurRun {
  readonly head: ResponseHead | undefined;
  readonly body: string;
  readonly trailers: ResponseHeaders | undefined;
  readonly reusable: boolean;
  readonly error: string | undefined;
}

/** Parses `bytes` delivered in reads that end at `cuts`, then (with `eof`) the connection closing. */
function parse(c: Case, cuts: readonly number[], eof = true): OurRun {
  let head: ResponseHead | undefined;
  let body = '';
  let end: { trailers: ResponseHeaders; reusable: boolean } | undefined;
  const parser = new ResponseParser({
    onHead: (h) => (head = h),
    onBody: (chunk) => (body += chunk.toString('latin1')),
    onEnd: (trailers, reusable) => (end = { trailers, reusable }),
  });
  parser.expect(c.method);
  let error: string | undefined;
  try {
    let from = 0;
    for (const cut of [...cuts, c.bytes.length]) {
      if (cut > from) parser.execute(c.bytes.subarray(from, cut));
      from = cut;
    }
    if (eof && !parser.finish()) error = 'connection closed mid-response';
  } catch (e) {
    error = (e as Error).message;
  }
  return { head, body, trailers: end?.trailers, reusable: (end?.reusable ?? false) && !error, error };
}

/** What must not depend on where reads end. Reusable only if nothing went wrong afterwards. */
const splitRun = (c: Case, cuts: readonly number[]) => {
  const r = parse(c, cuts);
  return { ...r, error: r.error !== undefined };
};

function ourOutcome(c: Case): Outcome {
  const r = parse(c, []);
  const message =
    r.head && r.trailers
      ? {
          status: r.head.status,
          headers: r.head.headers,
          keepAlive: r.head.keepAlive,
          body: r.body,
          trailers: r.trailers,
        }
      : undefined;
  return { message, afterEnd: message !== undefined && r.error !== undefined, error: r.error };
}

/** Where our parser ends the first response: the shortest prefix that completes it. */
function ourBoundary(c: Case): number {
  let lo = 0;
  let hi = c.bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (parse({ ...c, bytes: c.bytes.subarray(0, mid) }, [], false).trailers) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// ---- the reference: node:http's client -------------------------------------------------------

const served = new Map<string, Buffer>();
const sockets = new Set<net.Socket>();
let server: net.Server;
let port = 0;
let nextId = 0;

/** Serves `bytes` as the answer to one request, on a connection of its own, then closes it. */
function reference(bytes: Buffer, method: Method): Promise<Outcome> {
  const id = String(nextId++);
  served.set(id, bytes);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise((resolve) => {
    let res: http.IncomingMessage | undefined;
    let keepAlive = false;
    let body = '';
    let afterEnd = false;
    let error: string | undefined;
    // The reference reads header sections as large as ours may be, so that only parsing differs.
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: `/${id}`,
      method,
      agent,
      maxHeaderSize: MAX_HEADER_BYTES,
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (res?.complete) afterEnd = true;
      else error ??= e.code ?? e.message;
    });
    req.on('response', (r: http.IncomingMessage) => {
      res = r;
      keepAlive = req.shouldKeepAlive;
      r.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      r.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    });
    req.on('socket', (socket: net.Socket) =>
      socket.once('close', () =>
        // Let the response stream deliver what it has buffered first.
        setImmediate(() => {
          agent.destroy();
          served.delete(id);
          const message = res?.complete
            ? {
                status: res.statusCode ?? 0,
                headers: fields(res.rawHeaders),
                keepAlive,
                body,
                trailers: fields(res.rawTrailers),
              }
            : undefined;
          resolve({ message, afterEnd, error: message ? undefined : (error ?? 'incomplete') });
        }),
      ),
    );
    req.end();
  });
}

/** Raw name/value pairs as our parser reports them: lower-case names, repeats in arrays. */
function fields(raw: readonly string[]): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (typeof prev === 'string') out[name] = [prev, value];
    else prev.push(value);
  }
  return out;
}

/** The upstream of every reference request: answers each with the bytes of its case, then closes. */
async function startServer(): Promise<void> {
  server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (data) => {
      if (socket.writableEnded) return;
      received += data.toString('latin1');
      const bytes = served.get(/^[A-Z]+ \/(\d+) /.exec(received)?.[1] ?? '');
      if (bytes && received.includes('\r\n\r\n')) socket.end(bytes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}

after(() => {
  for (const socket of sockets) socket.destroy();
  server.close();
});

// ---- comparing the two ------------------------------------------------------------------------

function differences(ours: Message, ref: Message): string[] {
  const out: string[] = [];
  for (const key of ['status', 'headers', 'keepAlive', 'body', 'trailers'] as const)
    if (!isDeepStrictEqual(ours[key], ref[key]))
      out.push(`${key}: ours ${show(ours[key])}, llhttp ${show(ref[key])}`);
  return out;
}

/**
 * How our reading of a response differs from llhttp's. One difference is not ours: node:http asks
 * llhttp whether to keep the connection before it says that a HEAD response has no body, so when the
 * head alone would mean a body delimited by the close (no Content-Length, chunked not the last
 * coding) llhttp answers no. A HEAD response ends with its head (RFC 9112 6.3) and the connection
 * persists.
 */
function compare(c: Case, ours: Message, ref: Message): string[] {
  const diff = differences(ours, ref);
  const codings = [ours.headers['transfer-encoding'] ?? []].flat().join(',').split(',');
  const closeDelimited =
    ours.headers['content-length'] === undefined && codings.at(-1)?.trim().toLowerCase() !== 'chunked';
  if (c.method === 'HEAD' && closeDelimited && ours.keepAlive && !ref.keepAlive)
    return diff.filter((d) => !d.startsWith('keepAlive'));
  return diff;
}

/** Our reading of a case against llhttp's. */
async function judge(c: Case): Promise<Verdict<Outcome>> {
  const ours = ourOutcome(c);
  const verdict = (kind: Verdict<Outcome>['kind'], why = '') => ({ kind, why, ours });
  const ref = await reference(c.bytes, c.method);
  if (!ours.message && !ref.message) return verdict('agree');
  if (!ours.message) return verdict('stricter', `we fail (${ours.error}), llhttp reads ${show(ref.message)}`);
  if (!ref.message) return verdict('looser', `we read ${show(ours.message)}, llhttp fails (${ref.error})`);
  const diff = compare(c, ours.message, ref.message);
  if (diff.length === 1 && !ours.message.keepAlive && ref.message.keepAlive)
    return verdict('stricter', 'we will not reuse a connection that llhttp would');
  if (diff.length) return verdict('desync', diff.join('; '));
  if (!ours.afterEnd)
    return ref.afterEnd
      ? verdict('desync', 'llhttp ends the response before the last byte, we at the last byte')
      : verdict('agree');
  // We end the response before the last byte. llhttp ends it at the same byte if it reads the bytes
  // up to there as the same whole response, with nothing left over.
  const boundary = ourBoundary(c);
  const prefix = await reference(c.bytes.subarray(0, boundary), c.method);
  if (!prefix.message || prefix.afterEnd || compare(c, ours.message, prefix.message).length)
    return verdict(
      'desync',
      `we end the response after ${boundary} bytes, llhttp does not: its reading of them is ${show(prefix)}`,
    );
  return verdict('agree');
}

/**
 * Responses we reject and llhttp reads, each on purpose. A case listed here that stops being
 * stricter fails too, so that the list stays true.
 */
const STRICTER = new Map<string, string>([
  [
    '16-digit content-length',
    'at most 15 digits, so that the length is an exact number; llhttp takes up to 2^64 - 1',
  ],
  [
    'transfer-encoding chunked, gzip',
    'chunked not last leaves the end ambiguous between proxies; llhttp reads to the close',
  ],
  ['transfer-encoding chunked, then identity', 'chunked not last, over two lines; llhttp reads to the close'],
  [
    'transfer-encoding chunked with a trailing comma',
    'an empty list element after chunked: RFC 9110 5.6.1 ignores it, llhttp reads to the close; neither is safe',
  ],
  [
    'transfer-encoding chunked, then a tab',
    'llhttp stops reading the body as chunked when a tab follows the coding; we trim it: refused, not guessed',
  ],
  [
    'transfer-encoding gzip, chunked, then a tab',
    'as for chunked then a tab: two readings of the framing, so neither',
  ],
  [
    'transfer-encoding chunked with a leading comma',
    'an empty list element: llhttp reads chunked, a parser that refuses empty codings reads to the close',
  ],
  [
    'transfer-encoding chunked with a parameter',
    'chunked takes no parameters (RFC 9112 7.1); llhttp reads to the close, another parser may read chunked',
  ],
  [
    'transfer-encoding chunked twice',
    'chunked applied twice is forbidden (RFC 9112 7) and ambiguous; llhttp reads to the close',
  ],
  [
    '17-digit chunk size',
    'at most 13 hex digits, leading zeros included; llhttp skips any number of leading zeros',
  ],
  ['status 099', 'status codes are 100 to 999 (RFC 9110 15); llhttp takes any three digits'],
  ['status 000', 'status codes are 100 to 999 (RFC 9110 15); llhttp takes any three digits'],
  ['HTTP/2.0', 'only HTTP/1.0 and HTTP/1.1 on an HTTP/1.1 connection; llhttp takes any single-digit version'],
  ['HTTP/0.9', 'only HTTP/1.0 and HTTP/1.1 on an HTTP/1.1 connection; llhttp takes any single-digit version'],
  [
    'empty lines before the status line',
    'a response starts with its status line; llhttp skips empty lines before it',
  ],
  [
    '204 with a content-length',
    'a 204 must not have a body length (RFC 9110 15.3.5): ambiguous; llhttp ignores it',
  ],
  [
    '204 with transfer-encoding chunked',
    'a 204 must not have a body length (RFC 9110 15.3.5): ambiguous; llhttp ignores it',
  ],
  [
    'header section over the limit',
    'we count every byte up to the empty line; node:http leaves the status line and line ends out',
  ],
  [
    'NUL in the reason',
    'a reason phrase holds HTAB, SP, VCHAR and obs-text only (RFC 9112 4); llhttp takes NUL',
  ],
  [
    'chunk line over 1 KiB',
    'chunk lines, extensions included, stop at 1 KiB; node:http allows 16 KiB of extensions',
  ],
]);

differentialTests({
  reference: 'llhttp',
  messages: 'responses',
  misread: 'framed differently',
  errorPrefix: 'upstream response: ',
  groups: GROUPS,
  mutants: { count: 500, shorterThan: 200, from: (mutant, base) => ({ ...mutant, method: base.method }) },
  stricter: STRICTER,
  start: startServer,
  judge,
  body: (ours) => ours.message?.body,
  splitRun,
});
