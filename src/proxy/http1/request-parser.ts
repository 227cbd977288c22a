// The request side of the HTTP/1.1 parser, for downstream connections: request lines, the Host
// rule, request framing (no length means no body), and the requests that leave HTTP (CONNECT and
// upgrades).
import { DownstreamProtocolError } from '../errors.ts';
import { nodeHttp } from '../node-http.ts';
import { CR, LF, SP, fail, framing, keepAlive, parseFields, tokens } from './fields.ts';
import type { Fields, SyntaxFault } from './fields.ts';
import { MessageParser } from './parser.ts';
import type { Delimit } from './parser.ts';
import { TARGET_BYTE, TOKEN_BYTE } from './syntax.ts';

export type RequestHeaders = Fields;

export interface RequestHead {
  readonly method: string;
  /** The request target as sent: origin-form, absolute-form, or authority-form (CONNECT). */
  readonly target: string;
  readonly http10: boolean;
  readonly headers: RequestHeaders;
  /** Whether the connection may carry another request after this one. */
  readonly keepAlive: boolean;
  /** Whether a body follows the head (a length above zero, or chunked). */
  readonly hasBody: boolean;
  /** The client waits for `100 Continue` before it sends the body. */
  readonly expectContinue: boolean;
  /** CONNECT or an upgrade: what follows the head is not HTTP/1.1 any more. */
  readonly tunnel: boolean;
}

export interface RequestEvents {
  onHead(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  onEnd(trailers: RequestHeaders): void;
}

const HTTP_1 = 'HTTP/1.';
/**
 * The methods a request may use: those Node's own parser knows. Others are refused, as Envoy
 * refuses them by default: a method no one recognises is more often a desynchronised body.
 */
const KNOWN_METHODS: ReadonlySet<string> = new Set(nodeHttp.METHODS);
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/;
const SLASH = 0x2f;

/** Parses the request line at the start of `text` (after any empty lines, from `at`). */
function requestLine(
  text: string,
  at: number,
): { method: string; target: string; http10: boolean; next: number } {
  let i = at;
  while (TOKEN_BYTE[text.charCodeAt(i)] === 1) i++;
  const methodEnd = i;
  if (methodEnd === at || text.charCodeAt(i) !== SP) malformed(text, at);
  const targetStart = ++i;
  while (TARGET_BYTE[text.charCodeAt(i)] === 1) i++;
  const targetEnd = i;
  if (targetEnd === targetStart || text.charCodeAt(i) !== SP || !text.startsWith(HTTP_1, i + 1))
    malformed(text, at);
  const minor = text.charCodeAt(i + 8);
  if ((minor !== 0x30 && minor !== 0x31) || text.charCodeAt(i + 9) !== CR || text.charCodeAt(i + 10) !== LF)
    malformed(text, at);
  const method = text.slice(at, methodEnd);
  if (!KNOWN_METHODS.has(method)) fail(`unknown method ${JSON.stringify(method.slice(0, 32))}`);
  const target = text.slice(targetStart, targetEnd);
  if (!targetForm(method, target)) fail(`malformed request target ${JSON.stringify(target.slice(0, 64))}`);
  return { method, target, http10: minor === 0x30, next: i + 11 };
}

/**
 * RFC 9112 §3.2: origin-form (`/path`), absolute-form (`scheme://authority...`), asterisk-form
 * (`*`), and authority-form for CONNECT only.
 */
function targetForm(method: string, target: string): boolean {
  if (target.charCodeAt(0) === SLASH) return method !== 'CONNECT';
  if (method === 'CONNECT') return true;
  return target === '*' || ABSOLUTE_FORM.test(target);
}

function malformed(text: string, at: number): never {
  const end = text.indexOf('\r', at);
  fail(`malformed request line ${JSON.stringify(text.slice(at, Math.min(end, at + 64)))}`);
}

/** Whether Connection lists `upgrade` and Upgrade names a protocol: the request asks to switch. */
function asksUpgrade(headers: RequestHeaders): boolean {
  const upgrade = headers.upgrade;
  if (upgrade === undefined || upgrade === '') return false;
  const connection = headers.connection;
  if (connection === undefined) return false;
  return tokens(connection).includes('upgrade');
}

/**
 * An h2c upgrade is not taken (RFC 9113 retired it, and Envoy ignores it too): the request stays an
 * HTTP/1.1 request, with or without a body, once its Upgrade and HTTP2-Settings fields and their
 * Connection tokens are gone.
 */
function ignoreH2cUpgrade(headers: RequestHeaders): void {
  const upgrade = headers.upgrade;
  if (typeof upgrade !== 'string' || upgrade.trim().toLowerCase() !== 'h2c') return;
  delete headers.upgrade;
  delete headers['http2-settings'];
  const connection = headers.connection;
  if (connection === undefined) return;
  const kept = tokens(connection).filter((t) => t !== 'upgrade' && t !== 'http2-settings' && t !== '');
  if (kept.length > 0) headers.connection = kept.join(', ');
  else delete headers.connection;
}

export class RequestParser extends MessageParser {
  readonly #events: RequestEvents;

  /** `maxHeaderBytes`: the limit on the head (the request line included); over it is 431. */
  constructor(events: RequestEvents, maxHeaderBytes: number) {
    super(events, maxHeaderBytes, true);
    this.#events = events;
    this.begin();
  }

  /** The response to the last request is done: the next bytes are the next request. */
  next(): void {
    this.begin();
  }

  protected override head(text: string): Delimit {
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    let at = 0;
    while (text.charCodeAt(at) === CR && text.charCodeAt(at + 1) === LF) at += 2;
    if (at === text.length) return 'interim';
    const { method, target, http10, next } = requestLine(text, at);
    const headers: RequestHeaders = {};
    parseFields(text, next, headers);
    const host = headers.host;
    if (typeof host === 'object') fail('more than one Host');
    if (host === undefined && !http10) fail('no Host in an HTTP/1.1 request');
    const body = framing(headers);
    if (body !== undefined && typeof body !== 'number') {
      // RFC 9112 §6.1 and §6.3: a request whose length cannot be known is refused.
      if (http10) fail('Transfer-Encoding in an HTTP/1.0 request');
      if (body === 'other') fail('chunked is not the final transfer coding of a request');
    }
    ignoreH2cUpgrade(headers);
    const tunnel = method === 'CONNECT' || asksUpgrade(headers);
    const expect = headers.expect;
    const expectContinue = !http10 && expect !== undefined && tokens(expect).includes('100-continue');
    this.#events.onHead({
      method,
      target,
      http10,
      headers,
      keepAlive: keepAlive(headers.connection, http10),
      hasBody: body === 'chunked' || (body !== undefined && body > 0),
      expectContinue,
      tunnel,
    });
    if (tunnel) return 'detach';
    return body === 'chunked' || typeof body === 'number' ? body : 0;
  }

  protected override error(fault: SyntaxFault): Error {
    return new DownstreamProtocolError(`downstream request: ${fault.message}`, fault.status, {
      cause: fault,
    });
  }

  protected override idleBytes(): void {
    // The next request waits until the response to this one is done.
  }
}
