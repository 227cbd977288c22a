// Incremental parser of HTTP/1.1 responses (RFC 9112) for one upstream connection. Strict where
// leniency could desynchronise the connection: anything ambiguous is an error, and the connection
// that carried it is never reused.
import { UpstreamProtocolError } from '../../errors.ts';
import { TCHARS, TOKEN, TOKEN_BYTE, VALUE_BYTE } from './syntax.ts';

export type ResponseHeaders = Record<string, string | string[]>;

export interface ResponseHead {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Whether the connection may carry another request once this response ends. */
  readonly keepAlive: boolean;
}

export interface ResponseEvents {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  /** `reusable` is false when the response ended in a way that forbids another request. */
  onEnd(trailers: ResponseHeaders, reusable: boolean): void;
}

/** Envoy's default limit on a header section (60 KiB), applied to the head and to the trailers. */
export const MAX_HEADER_BYTES = 60 * 1024;
const MAX_CHUNK_LINE = 1024;
const CRLF = 0x0a0d; // "\r\n" read as a little-endian uint16
const HEAD_END = Buffer.from('\r\n\r\n');

const State = {
  /** No request outstanding: any byte is an error. */
  Idle: 0,
  Head: 1,
  Length: 2,
  ChunkSize: 3,
  ChunkData: 4,
  ChunkDataEnd: 5,
  Trailers: 6,
  /** The body runs until the connection closes. */
  UntilClose: 7,
  Failed: 8,
} as const;
type State = (typeof State)[keyof typeof State];

const DIGITS = /^\d{1,15}$/;
/** A chunk size and its extensions, `;name` or `;name=token` or `;name="quoted"`, with no whitespace. */
const CHUNK_LINE = new RegExp(
  `^([0-9a-fA-F]{1,13})(?:;[${TCHARS}]+(?:=(?:[${TCHARS}]+|"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"))?)*$`,
);
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
}
/** Buffer's own latin1 decoder without toString's argument checks (this runs for every header). */
function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}

function fail(message: string): never {
  throw new UpstreamProtocolError(`upstream response: ${message}`);
}

/**
 * Parses the status line at the start of `head`: the status, whether it says HTTP/1.0, and where
 * the header lines start.
 */
function statusLine(head: string): { status: number; http10: boolean; next: number } {
  const end = head.indexOf('\r');
  const c = (i: number) => head.charCodeAt(i);
  const digit = (i: number) => c(i) >= 0x30 && c(i) <= 0x39;
  let valid =
    end >= 12 &&
    head.startsWith('HTTP/1.') &&
    (c(7) === 0x30 || c(7) === 0x31) &&
    c(8) === SP &&
    c(9) >= 0x31 &&
    digit(9) &&
    digit(10) &&
    digit(11) &&
    (end === 12 || c(12) === SP) &&
    c(end + 1) === LF;
  for (let i = 13; valid && i < end; i++) if (VALUE_BYTE[c(i)] !== 1) valid = false;
  if (!valid)
    fail(`malformed status line ${JSON.stringify(head.slice(0, end < 0 ? 64 : Math.min(end, 64)))}`);
  return {
    status: (c(9) - 0x30) * 100 + (c(10) - 0x30) * 10 + c(11) - 0x30,
    http10: c(7) === 0x30,
    next: end + 2,
  };
}

/**
 * Lower-case header names seen before, by hash. Returning the same string for the same name keeps
 * V8 from interning a new key on every response, and the header objects share their shapes.
 */
const NAME_CACHE = new Array<string | undefined>(1024);

function sameName(text: string, at: number, known: string): boolean {
  for (let i = 0; i < known.length; i++) {
    const c = text.charCodeAt(at + i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== known.charCodeAt(i)) return false;
  }
  return true;
}

function headerName(text: string, start: number, end: number, hash: number): string {
  const slot = hash & (NAME_CACHE.length - 1);
  const known = NAME_CACHE[slot];
  if (known !== undefined && known.length === end - start && sameName(text, start, known)) return known;
  const name = text.slice(start, end).toLowerCase();
  NAME_CACHE[slot] = name;
  return name;
}

/**
 * Parses the `name: value` lines of `text` from `at` on (each ending in CRLF) into lower-case
 * names; repeated names collect into arrays. One pass over the characters: this runs for every
 * response.
 */
function parseFields(text: string, at: number, into: ResponseHeaders): void {
  const to = text.length;
  while (at < to) {
    let i = at;
    let hash = 0;
    let c = text.charCodeAt(i);
    if (c === SP || c === HTAB) fail('obsolete line folding in a header');
    while (c !== COLON) {
      if (TOKEN_BYTE[c] !== 1) {
        if (c === CR) fail(`malformed header line ${JSON.stringify(text.slice(at, i))}`);
        fail(`invalid header name ${JSON.stringify(text.slice(at, Math.min(i + 1, at + 64)))}`);
      }
      // Case-folded for letters; other tchars may collide, which the cache check below settles.
      hash = (Math.imul(hash, 31) + (c | 0x20)) | 0;
      c = text.charCodeAt(++i);
    }
    if (i === at) fail(`malformed header line ${JSON.stringify(text.slice(at, text.indexOf('\r', at)))}`);
    const nameEnd = i;
    c = text.charCodeAt(++i);
    while (c === SP || c === HTAB) c = text.charCodeAt(++i);
    const valueStart = i;
    let valueEnd = i;
    for (; c !== CR; c = text.charCodeAt(++i)) {
      // NaN (past the end) is not a value byte either.
      if (VALUE_BYTE[c] !== 1) fail(`invalid characters in header ${text.slice(at, nameEnd)}`);
      if (c !== SP && c !== HTAB) valueEnd = i + 1;
    }
    if (text.charCodeAt(i + 1) !== LF) fail(`invalid characters in header ${text.slice(at, nameEnd)}`);
    const key = headerName(text, at, nameEnd, hash);
    // Parsers differ on a tab after the last coding (llhttp stops reading the body as chunked).
    if (valueEnd < i && key === 'transfer-encoding' && text.slice(valueEnd, i).includes('\t'))
      fail('a tab after the value of Transfer-Encoding');
    const value = text.slice(valueStart, valueEnd);
    const prev = into[key];
    if (prev === undefined) into[key] = value;
    else if (typeof prev === 'string') into[key] = [prev, value];
    else prev.push(value);
    at = i + 2;
  }
}

/**
 * The transfer codings, lower-case. Each must be a token with at most spaces around it: a parser
 * that reads `chunked\t` differently would end the body elsewhere.
 */
function codings(value: string | string[]): string[] {
  const list = tokens(value, ' ');
  for (const c of list)
    if (!TOKEN.test(c)) fail(`invalid Transfer-Encoding ${JSON.stringify(String(value))}`);
  return list;
}

/** How the body after a head is delimited, from Content-Length and Transfer-Encoding. */
function framing(headers: ResponseHeaders): 'chunked' | 'close' | number | undefined {
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) fail('both Transfer-Encoding and Content-Length');
    const list = codings(te);
    const chunked = list.indexOf('chunked');
    // Anywhere but last (or twice), chunked would leave the body's end ambiguous.
    if (chunked >= 0 && chunked !== list.length - 1) fail('chunked is not the final transfer coding');
    return chunked >= 0 ? 'chunked' : 'close';
  }
  if (cl === undefined) return undefined;
  if (typeof cl !== 'string') fail('more than one Content-Length');
  if (!DIGITS.test(cl)) fail(`invalid Content-Length ${JSON.stringify(cl.slice(0, 32))}`);
  return Number(cl);
}

function tokens(value: string | string[] | undefined, trim?: ' '): string[] {
  if (value === undefined) return [];
  const joined = typeof value === 'string' ? value : value.join(',');
  return joined.split(',').map((t) => (trim ? trimSpaces(t) : t.trim()).toLowerCase());
}

function trimSpaces(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === SP) start++;
  while (end > start && s.charCodeAt(end - 1) === SP) end--;
  return s.slice(start, end);
}

function keepAlive(connection: string | string[] | undefined, http10: boolean): boolean {
  // The common answers, without splitting.
  if (connection === undefined) return !http10;
  if (connection === 'keep-alive') return true;
  if (connection === 'close') return false;
  const options = tokens(connection);
  return http10 ? options.includes('keep-alive') : !options.includes('close');
}

export class ResponseParser {
  readonly #events: ResponseEvents;
  #state: State = State.Idle;
  #noBody = false;
  /** Head, chunk-size line or trailer bytes that arrived without their terminator yet. */
  #pending: Buffer | undefined;
  #remaining = 0;
  #keepAlive = false;

  constructor(events: ResponseEvents) {
    this.#events = events;
  }

  /** Whether a response is expected or in progress. */
  get busy(): boolean {
    return this.#state !== State.Idle && this.#state !== State.Failed;
  }

  /** Whether the body in progress ends only when the connection closes. */
  get untilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  /** A request was sent: the next bytes are its response. HEAD responses have no body. */
  expect(method: string): void {
    if (this.#state !== State.Idle) throw new Error(`response parser is busy (state ${this.#state})`);
    this.#state = State.Head;
    this.#noBody = method === 'HEAD';
  }

  /** Stops parsing for good (the connection is going away). */
  abort(): void {
    this.#state = State.Failed;
    this.#pending = undefined;
  }

  /**
   * Consumes bytes from the connection. Throws UpstreamProtocolError on a protocol violation,
   * after which the parser accepts nothing more.
   */
  execute(data: Buffer): void {
    try {
      this.#execute(data);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /**
   * The connection closed. Ends a body that the close delimits; returns false if it cut a response
   * short (or no response had started).
   */
  finish(): boolean {
    if (this.#state === State.UntilClose) {
      this.#state = State.Idle;
      this.#events.onEnd({}, false);
      return true;
    }
    const cut = this.busy;
    this.abort();
    return !cut;
  }

  #execute(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      switch (this.#state) {
        case State.Idle:
          fail('bytes received with no request outstanding');
        // falls through: fail() never returns
        case State.Failed:
          return;
        case State.Head:
          at = this.#head(data, at);
          break;
        case State.Length: {
          const chunk = this.#take(data, at);
          at += chunk.length;
          this.#events.onBody(chunk);
          if (this.#remaining === 0 && this.#state === State.Length) this.#end({}, at === data.length);
          break;
        }
        case State.ChunkSize:
          at = this.#chunkSize(data, at);
          break;
        case State.ChunkData: {
          const chunk = this.#take(data, at);
          at += chunk.length;
          if (this.#remaining === 0) {
            this.#state = State.ChunkDataEnd;
            this.#remaining = 2;
          }
          this.#events.onBody(chunk);
          break;
        }
        case State.ChunkDataEnd:
          // The CRLF after chunk data, possibly split across reads.
          if (data[at] !== (this.#remaining === 2 ? CR : LF)) fail('chunk data not followed by CRLF');
          at++;
          if (--this.#remaining === 0) this.#state = State.ChunkSize;
          break;
        case State.Trailers:
          at = this.#trailers(data, at);
          break;
        case State.UntilClose:
          this.#events.onBody(at === 0 ? data : data.subarray(at));
          return;
      }
    }
  }

  /** The body bytes from `at` that belong to the current length (Content-Length or chunk). */
  #take(data: Buffer, at: number): Buffer {
    const n = Math.min(this.#remaining, data.length - at);
    this.#remaining -= n;
    return data.subarray(at, at + n);
  }

  /** Appends to the pending bytes; returns the buffer to search and where the new bytes start in it. */
  #accumulate(data: Buffer, at: number): [Buffer, number] {
    const pending = this.#pending;
    if (!pending) return [at === 0 ? data : data.subarray(at), 0];
    this.#pending = undefined;
    return [Buffer.concat([pending, data.subarray(at)]), pending.length];
  }

  /**
   * Keeps bytes that lack their terminator, unless they already exceed the section's limit; the
   * limit leaves room for a terminator cut by the read, so the result never depends on where reads end.
   */
  #keep(buf: Buffer, limit: number, terminator: number, what: string): void {
    if (buf.length > limit + terminator - 1) fail(`${what} larger than ${limit} bytes`);
    this.#pending = buf;
  }

  #head(data: Buffer, at: number): number {
    const [buf, old] = this.#accumulate(data, at);
    const end = buf.indexOf(HEAD_END, Math.max(0, old - 3));
    if (end < 0 || end > MAX_HEADER_BYTES) {
      this.#keep(buf, MAX_HEADER_BYTES, 4, 'header section');
      return data.length;
    }
    const consumed = at + end + 4 - old;
    const head = latin1(buf, 0, end + 2);
    const { status, http10, next } = statusLine(head);
    const headers: ResponseHeaders = {};
    parseFields(head, next, headers);
    // Checked on every response, bodiless ones too: their headers travel on downstream.
    const body = framing(headers);
    if (status < 200) {
      // 1xx are interim (100 Continue, 103 Early Hints): the final response follows. 101 would
      // switch protocols, which this codec's requests never ask for.
      if (status === 101) fail('unexpected 101 Switching Protocols');
      return consumed;
    }
    if (status === 204 && body !== undefined && body !== 0) fail('204 response with a body length');
    this.#keepAlive = keepAlive(headers.connection, http10);
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = State.Head;
      this.#events.onHead({ status, headers, keepAlive: this.#keepAlive });
      if (this.#state === State.Head) this.#end({}, consumed === data.length);
      return consumed;
    }
    if (body === 'chunked') this.#state = State.ChunkSize;
    else if (typeof body === 'number') {
      this.#remaining = body;
      this.#state = State.Length;
    } else {
      this.#state = State.UntilClose;
      this.#keepAlive = false;
    }
    const state = this.#state;
    this.#events.onHead({ status, headers, keepAlive: this.#keepAlive });
    if (state === State.Length && this.#remaining === 0 && this.#state === State.Length)
      this.#end({}, consumed === data.length);
    return consumed;
  }

  #chunkSize(data: Buffer, at: number): number {
    const [buf, old] = this.#accumulate(data, at);
    const end = buf.indexOf('\r\n', Math.max(0, old - 1));
    if (end < 0 || end > MAX_CHUNK_LINE) {
      this.#keep(buf, MAX_CHUNK_LINE, 2, 'chunk size line');
      return data.length;
    }
    const m = CHUNK_LINE.exec(latin1(buf, 0, end));
    if (!m) fail('invalid chunk size line');
    const size = parseInt(m[1]!, 16);
    if (size === 0) this.#state = State.Trailers;
    else {
      this.#remaining = size;
      this.#state = State.ChunkData;
    }
    return at + end + 2 - old;
  }

  #trailers(data: Buffer, at: number): number {
    const [buf, old] = this.#accumulate(data, at);
    // No trailers: the last chunk is followed by an empty line.
    if (buf.length >= 2 && buf.readUInt16LE(0) === CRLF) {
      const consumed = at + 2 - old;
      this.#end({}, consumed === data.length);
      return consumed;
    }
    const end = buf.indexOf(HEAD_END, Math.max(0, old - 3));
    if (end < 0 || end > MAX_HEADER_BYTES) {
      this.#keep(buf, MAX_HEADER_BYTES, 4, 'trailer section');
      return data.length;
    }
    const trailers: ResponseHeaders = {};
    parseFields(latin1(buf, 0, end + 2), 0, trailers);
    const consumed = at + end + 4 - old;
    this.#end(trailers, consumed === data.length);
    return consumed;
  }

  /** `clean`: the response ended exactly at the end of what was read (no bytes beyond it). */
  #end(trailers: ResponseHeaders, clean: boolean): void {
    this.#state = State.Idle;
    this.#events.onEnd(trailers, this.#keepAlive && clean);
  }
}
