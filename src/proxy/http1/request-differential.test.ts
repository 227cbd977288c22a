// Differential test of the downstream HTTP/1.1 request parser. Every request of a corpus (written
// by hand in fixtures/requests.ts, plus seeded mutations of the valid ones) is parsed in one read
// and split across reads, which must not change the result, and is compared with Node's own
// HTTP/1.1 server (llhttp behind node:http: default options, our header limit) fed the same bytes
// over a socket. Where the two disagree we may only be stricter, case by case and for a stated
// reason: accepting what Node refuses, or reading a request differently (its method, target,
// fields, body or end), fails. A connection's requests after the first are judged the same way, as
// a connection of their own.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { DownstreamProtocolError } from '../errors.ts';
import { MAX_HEADER_BYTES } from './parser.ts';
import { RequestParser } from './request-parser.ts';
import type { RequestHead, RequestHeaders } from './request-parser.ts';
import { GROUPS } from './fixtures/requests.ts';
import type { Case } from './fixtures/requests.ts';
import { show } from './fixtures/harness.ts';
import { differentialTests } from './fixtures/verdicts.ts';
import type { Verdict } from './fixtures/verdicts.ts';

/** The first request of a connection as a parser read it: to its end, or for a tunnel to the end of its head. */
interface Request {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: RequestHeaders;
  readonly keepAlive: boolean | undefined;
  readonly expectContinue: boolean | undefined;
  readonly tunnel: boolean;
  readonly body: string;
  readonly trailers: RequestHeaders;
}

/** What a parser made of the bytes a client sent before it closed its side of the connection. */
interface Outcome {
  readonly request: Request | undefined;
  /** Where the first request ended: its last byte, or for a tunnel where the other protocol starts. */
  readonly end: number | undefined;
  /** llhttp: bytes after the end of the first request were read as (part of) another. */
  readonly afterEnd: boolean;
  readonly error: string | undefined;
}

// ---- our parser ------------------------------------------------------------------------------

/** The first request in `c` delivered in reads that end at `cuts`, then the client closing. */
function parse(c: Case, cuts: readonly number[]): Outcome & { status: number | 'cut' | undefined } {
  let head: RequestHead | undefined;
  let body = '';
  let trailers: RequestHeaders | undefined;
  const parser = new RequestParser(
    {
      onHead: (h) => (head = h),
      onBody: (chunk) => (body += chunk.toString('latin1')),
      onEnd: (t) => (trailers = t),
    },
    MAX_HEADER_BYTES,
  );
  let end: number | undefined;
  try {
    let from = 0;
    for (const cut of [...cuts, c.bytes.length]) {
      if (cut <= from) continue;
      const stop = parser.execute(c.bytes.subarray(from, cut));
      if (trailers || head?.tunnel) {
        end = from + stop;
        break;
      }
      from = cut;
    }
  } catch (e) {
    assert.ok(e instanceof DownstreamProtocolError, String(e));
    return { request: undefined, end, afterEnd: false, error: e.message, status: e.status };
  }
  if (!head || (!trailers && !head.tunnel)) {
    parser.finish();
    return { request: undefined, end, afterEnd: false, error: 'cut', status: 'cut' };
  }
  const request = {
    method: head.method,
    target: head.target,
    version: head.http10 ? '1.0' : '1.1',
    headers: head.headers,
    keepAlive: head.tunnel ? undefined : head.keepAlive,
    expectContinue: head.tunnel ? undefined : head.expectContinue,
    tunnel: head.tunnel,
    body,
    trailers: trailers ?? {},
  };
  return { request, end, afterEnd: false, error: undefined, status: undefined };
}

/** What must not depend on where reads end. */
const splitRun = (c: Case, cuts: readonly number[]) => ({ ...parse(c, cuts), error: undefined });

// ---- the reference: node:http's server -------------------------------------------------------

/** One connection to the reference server, as the server saw it. */
interface Exchange {
  kind?: 'request' | 'checkContinue' | 'checkExpectation' | 'upgrade' | 'connect';
  req?: http.IncomingMessage;
  keepAlive?: boolean;
  /** Tunnels: the bytes after the head, which node:http hands over unparsed. */
  rest?: number;
  body: string;
  afterEnd: boolean;
  error?: string;
  closes: number;
  done?: () => void;
}

const exchanges = new Map<number, Exchange>();
const sockets = new Set<net.Socket>();
let server: http.Server;
let port = 0;

function exchangeOn(localPort: number | undefined): Exchange {
  let x = exchanges.get(localPort ?? -1);
  if (!x) exchanges.set(localPort ?? -1, (x = { body: '', afterEnd: false, closes: 0 }));
  return x;
}

function closed(x: Exchange): void {
  if (++x.closes === 2) x.done?.();
}

function first(
  x: Exchange,
  kind: NonNullable<Exchange['kind']>,
  req: http.IncomingMessage,
  keepAlive?: boolean,
): boolean {
  if (x.kind) {
    x.afterEnd = true;
    return false;
  }
  x.kind = kind;
  x.req = req;
  x.keepAlive = keepAlive;
  return true;
}

async function startServer(): Promise<void> {
  // Default options but the header limit, which is ours, so that only parsing differs.
  server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    const x = exchangeOn(socket.remotePort);
    socket.on('close', () => {
      sockets.delete(socket);
      closed(x);
    });
  });
  // Requests are read, never answered: an answer would let node:http close the connection early.
  for (const kind of ['request', 'checkContinue', 'checkExpectation'] as const)
    server.on(kind, (req: http.IncomingMessage, res: http.ServerResponse) => {
      const x = exchangeOn(req.socket.remotePort);
      if (first(x, kind, req, res.shouldKeepAlive))
        req.on('data', (chunk: Buffer) => (x.body += chunk.toString('latin1')));
    });
  for (const kind of ['upgrade', 'connect'] as const)
    server.on(kind, (req: http.IncomingMessage, socket: net.Socket, rest: Buffer) => {
      const x = exchangeOn(socket.remotePort);
      if (first(x, kind, req)) x.rest = rest.length;
      socket.destroy();
    });
  server.on('clientError', (e: NodeJS.ErrnoException, socket: net.Socket) => {
    const x = exchangeOn(socket.remotePort);
    if (x.req?.complete) x.afterEnd = true;
    else x.error ??= e.code ?? e.message;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}

after(() => {
  for (const socket of sockets) socket.destroy();
  server.close();
});

/** Node's distinct fields in our shape: one value as a string, repeats as an array. */
function distinct(fields: NodeJS.Dict<string[]>): RequestHeaders {
  const out: RequestHeaders = {};
  for (const [name, values = []] of Object.entries(fields))
    out[name] = values.length === 1 ? values[0]! : values;
  return out;
}

/** Sends `bytes` on a connection of their own, closes our side, and reports what node:http read. */
function reference(bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    let received = '';
    const client = net.connect(port, '127.0.0.1');
    sockets.add(client);
    client.on('error', () => {});
    client.on('data', (data: Buffer) => (received += data.toString('latin1')));
    client.on('connect', () => {
      const x = exchangeOn(client.localPort);
      // Let the request stream deliver what it has buffered first.
      const done = () =>
        setImmediate(() => {
          exchanges.delete(client.localPort ?? -1);
          resolve(outcome(x, bytes.length, received));
        });
      x.done = done;
      client.on('close', () => {
        sockets.delete(client);
        closed(x);
      });
      client.end(bytes);
    });
  });
}

function outcome(x: Exchange, length: number, received: string): Outcome {
  const req = x.req;
  const tunnel = x.kind === 'upgrade' || x.kind === 'connect';
  // node:http answers a request it refuses itself (no Host in HTTP/1.1) with 400 and reads on: a
  // request after it is not the first. No other answer is sent: requests are never answered.
  const refused = /^HTTP\/1\.1 (\d+)/.exec(received)?.[1];
  if (!req || !(tunnel || req.complete) || refused)
    return {
      request: undefined,
      end: undefined,
      afterEnd: false,
      error: refused ? `answered ${refused}` : (x.error ?? 'incomplete'),
    };
  const request = {
    method: req.method ?? '',
    target: req.url ?? '',
    version: req.httpVersion,
    headers: distinct(req.headersDistinct),
    keepAlive: tunnel ? undefined : x.keepAlive,
    expectContinue: tunnel ? undefined : x.kind === 'checkContinue',
    tunnel,
    body: x.body,
    trailers: distinct(req.trailersDistinct),
  };
  return { request, end: tunnel ? length - x.rest! : undefined, afterEnd: x.afterEnd, error: undefined };
}

// ---- comparing the two ------------------------------------------------------------------------

function differences(ours: Request, ref: Request): string[] {
  return (Object.keys(ours) as (keyof Request)[])
    .filter((key) => !isDeepStrictEqual(ours[key], ref[key]))
    .map((key) => `${key}: ours ${show(ours[key])}, llhttp ${show(ref[key])}`);
}

/** Our reading of a connection's bytes against node:http's, request by request. */
async function judge(c: Case): Promise<Verdict<Outcome>> {
  const ours = parse(c, []);
  const verdict = (kind: Verdict<Outcome>['kind'], why = '') => ({ kind, why, ours });
  const ref = await reference(c.bytes);
  if (!ours.request && !ref.request) return verdict('agree');
  if (!ours.request) return verdict('stricter', `we fail (${ours.error}), llhttp reads ${show(ref.request)}`);
  if (!ref.request) return verdict('looser', `we read ${show(ours.request)}, llhttp fails (${ref.error})`);
  const diff = differences(ours.request, ref.request);
  if (diff.length === 1 && ours.request.keepAlive === false && ref.request.keepAlive)
    return verdict('stricter', 'we will not read another request where llhttp would');
  if (diff.length) return verdict('desync', diff.join('; '));
  const end = ours.end!;
  if (ours.request.tunnel)
    return end === ref.end
      ? verdict('agree')
      : verdict('desync', `the tunnel starts at ${end} for us, at ${ref.end} for llhttp`);
  if (end === c.bytes.length)
    return ref.afterEnd
      ? verdict('desync', 'llhttp ends the request before the last byte, we at the last byte')
      : verdict('agree');
  // We end the request at `end`. llhttp ends it there if it reads the bytes up to there as the
  // same whole request, with nothing left over.
  const prefix = await reference(c.bytes.subarray(0, end));
  if (!prefix.request || prefix.afterEnd || differences(ours.request, prefix.request).length)
    return verdict('desync', `we end the request after ${end} bytes; llhttp reads them as ${show(prefix)}`);
  if (!ours.request.keepAlive) return verdict('agree');
  // The next request, read by both as the start of a connection.
  const next = await judge({ name: `${c.name}, request after byte ${end}`, bytes: c.bytes.subarray(end) });
  return next.kind === 'agree' ? verdict('agree') : { ...next, why: `after byte ${end}: ${next.why}` };
}

/**
 * Requests we reject and llhttp reads, each on purpose. A case listed here that stops being
 * stricter fails too, so that the list stays true.
 */
const STRICTER = new Map<string, string>([
  ['HTTP/2.0', 'only HTTP/1.0 and HTTP/1.1 on an HTTP/1.1 connection; llhttp takes 0.9 and 2.0 too'],
  ['HTTP/0.9', 'only HTTP/1.0 and HTTP/1.1 on an HTTP/1.1 connection; llhttp takes 0.9 and 2.0 too'],
  ['no version', 'an HTTP/0.9 request line: no version, no header section of its own (RFC 9112 2.3)'],
  [
    'origin-form CONNECT',
    'CONNECT takes the authority-form only (RFC 9112 3.2.3); a path names no host and port to tunnel to',
  ],
  [
    'two spaces after the method',
    'the parts of a request line are separated by one SP (RFC 9112 3); llhttp skips more, another parser may not',
  ],
  [
    'two spaces before the version',
    'the parts of a request line are separated by one SP (RFC 9112 3); llhttp skips more, another parser may not',
  ],
  [
    'bare LF before the request line',
    'only CRLF empty lines are skipped before a request (RFC 9112 2.2); llhttp skips a bare LF too',
  ],
  [
    'two Host fields',
    'more than one Host is a 400 (RFC 9112 3.2); node:http routes on the first, another server may on the last',
  ],
  ['the same Host twice', 'more than one Host is a 400 (RFC 9112 3.2), equal or not'],
  ['two Host fields in HTTP/1.0', 'more than one Host is ambiguous in HTTP/1.0 as well'],
  [
    'transfer-encoding in HTTP/1.0',
    'an HTTP/1.0 message with Transfer-Encoding has faulty framing (RFC 9112 6.1); llhttp reads it chunked',
  ],
  [
    '16-digit content-length',
    'at most 15 digits, so that the length is an exact number; llhttp takes up to 2^64 - 1',
  ],
  [
    'TE chunked with a leading comma',
    'an empty list element: llhttp reads chunked, a parser that refuses empty codings reads no body',
  ],
  [
    '17-digit chunk size',
    'at most 13 hex digits, leading zeros included; llhttp skips any number of leading zeros',
  ],
  [
    'head over the limit',
    'we count every byte up to the empty line; node:http leaves the request line and line ends out',
  ],
  [
    'chunk line over 1 KiB',
    'chunk lines, extensions included, stop at 1 KiB; node:http allows 16 KiB of extensions',
  ],
]);

differentialTests({
  reference: 'node:http',
  messages: 'requests',
  misread: 'read differently',
  errorPrefix: 'downstream request: ',
  groups: GROUPS,
  mutants: { count: 300, shorterThan: 300, from: (mutant) => mutant },
  stricter: STRICTER,
  start: startServer,
  judge,
  body: (ours) => ours.request?.body,
  splitRun,
});
