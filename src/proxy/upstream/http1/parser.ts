// Incremental parser of HTTP/1.1 responses (RFC 9112) for one upstream connection. Strict where
// leniency could desynchronise the connection: anything ambiguous is an error, and the connection
// that carried it is never reused.
import { UpstreamProtocolError } from '../../errors.ts';

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

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^\d{1,15}$/;
const CHUNK_LINE = /^([0-9a-fA-F]{1,13})(?:[\t ]*;[\t\x20-\x7e\x80-\xff]*)?$/;

function fail(message: string): never {
  throw new UpstreamProtocolError(`upstream response: ${message}`);
}

function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Parses `name: value` lines into lower-case names; repeated names collect into arrays. */
function parseFields(lines: readonly string[], from: number, into: ResponseHeaders): void {
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) fail(`malformed header line ${JSON.stringify(line.slice(0, 64))}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) fail(`invalid header name ${JSON.stringify(name.slice(0, 64))}`);
    const value = trimOws(line.slice(colon + 1));
    if (!FIELD_VALUE.test(value)) fail(`invalid characters in header ${name}`);
    const key = name.toLowerCase();
    const prev = into[key];
    if (prev === undefined) into[key] = value;
    else if (typeof prev === 'string') into[key] = [prev, value];
    else prev.push(value);
  }
}

function tokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = typeof value === 'string' ? value : value.join(',');
  return joined.split(',').map((t) => t.trim().toLowerCase());
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
          const n = Math.min(this.#remaining, data.length - at);
          this.#remaining -= n;
          const chunk = data.subarray(at, at + n);
          at += n;
          this.#events.onBody(chunk);
          if (this.#remaining === 0 && this.#state === State.Length) this.#end({}, at === data.length);
          break;
        }
        case State.ChunkSize:
          at = this.#chunkSize(data, at);
          break;
        case State.ChunkData: {
          const n = Math.min(this.#remaining, data.length - at);
          this.#remaining -= n;
          const chunk = data.subarray(at, at + n);
          at += n;
          if (this.#remaining === 0) {
            this.#state = State.ChunkDataEnd;
            this.#remaining = 2;
          }
          this.#events.onBody(chunk);
          break;
        }
        case State.ChunkDataEnd:
          // The CRLF after chunk data, possibly split across reads.
          if (data[at] !== (this.#remaining === 2 ? 0x0d : 0x0a)) fail('chunk data not followed by CRLF');
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

  /** Appends to the pending bytes; returns the buffer to search and where the new bytes start in it. */
  #accumulate(data: Buffer, at: number): [Buffer, number] {
    const pending = this.#pending;
    if (!pending) return [at === 0 ? data : data.subarray(at), 0];
    this.#pending = undefined;
    return [Buffer.concat([pending, data.subarray(at)]), pending.length];
  }

  /** Keeps bytes that lack their terminator, unless they already exceed the section's limit. */
  #keep(buf: Buffer, limit: number, what: string): void {
    if (buf.length > limit) fail(`${what} larger than ${limit} bytes`);
    this.#pending = buf;
  }

  #head(data: Buffer, at: number): number {
    const [buf, old] = this.#accumulate(data, at);
    const end = buf.indexOf(HEAD_END, Math.max(0, old - 3));
    if (end < 0 || end > MAX_HEADER_BYTES) {
      this.#keep(buf, MAX_HEADER_BYTES, 'header section');
      return data.length;
    }
    const consumed = at + end + 4 - old;
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) fail(`malformed status line ${JSON.stringify(lines[0]!.slice(0, 64))}`);
    const http10 = m[1] === '0';
    const status = Number(m[2]);
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i]!.charCodeAt(0);
      if (c === 32 || c === 9) fail('obsolete line folding in a header');
    }
    const headers: ResponseHeaders = {};
    parseFields(lines, 1, headers);
    if (status < 200) {
      // 1xx are interim (100 Continue, 103 Early Hints): the final response follows. 101 would
      // switch protocols, which this codec's requests never ask for.
      if (status === 101) fail('unexpected 101 Switching Protocols');
      return consumed;
    }
    const connection = tokens(headers.connection);
    this.#keepAlive = http10 ? connection.includes('keep-alive') : !connection.includes('close');
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (this.#noBody || status === 204 || status === 304) {
      if (status === 204 && (te !== undefined || (cl !== undefined && cl !== '0')))
        fail('204 response with a body length');
      this.#state = State.Head;
      this.#events.onHead({ status, headers, keepAlive: this.#keepAlive });
      if (this.#state === State.Head) this.#end({}, consumed === data.length);
      return consumed;
    }
    if (te !== undefined) {
      if (cl !== undefined) fail('both Transfer-Encoding and Content-Length');
      const codings = tokens(te);
      const chunked = codings.indexOf('chunked');
      // Anywhere but last (or twice), chunked would leave the body's end ambiguous.
      if (chunked >= 0 && chunked !== codings.length - 1) fail('chunked is not the final transfer coding');
      this.#state = chunked >= 0 ? State.ChunkSize : State.UntilClose;
    } else if (cl !== undefined) {
      if (typeof cl !== 'string') fail('more than one Content-Length');
      if (!DIGITS.test(cl)) fail(`invalid Content-Length ${JSON.stringify(cl.slice(0, 32))}`);
      this.#remaining = Number(cl);
      this.#state = State.Length;
    } else this.#state = State.UntilClose;
    if (this.#state === State.UntilClose) this.#keepAlive = false;
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
      this.#keep(buf, MAX_CHUNK_LINE, 'chunk size line');
      return data.length;
    }
    const m = CHUNK_LINE.exec(buf.toString('latin1', 0, end));
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
      this.#keep(buf, MAX_HEADER_BYTES, 'trailer section');
      return data.length;
    }
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    for (const line of lines) {
      const c = line.charCodeAt(0);
      if (c === 32 || c === 9) fail('obsolete line folding in a trailer');
    }
    const trailers: ResponseHeaders = {};
    parseFields(lines, 0, trailers);
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
