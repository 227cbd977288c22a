// Incremental parsing of HTTP/1.1 messages (RFC 9112): the head is found and handed to the side's
// parser (requests or responses), then the body is delimited by length, chunks or the connection's
// close. Strict where leniency could desynchronise a connection: anything ambiguous is an error,
// and the connection that carried it is never reused.
import { CR, LF, SyntaxFault, fail, latin1, parseFields } from './fields.ts';
import type { Fields } from './fields.ts';
import { TCHARS } from './syntax.ts';

/** Envoy's default limit on a header section (60 KiB), applied to the head and to the trailers. */
export const MAX_HEADER_BYTES = 60 * 1024;
const MAX_CHUNK_LINE = 1024;
const CRLF = 0x0a0d; // "\r\n" read as a little-endian uint16
const HEAD_END = Buffer.from('\r\n\r\n');

/** A chunk size and its extensions, `;name` or `;name=token` or `;name="quoted"`, with no whitespace. */
const CHUNK_LINE = new RegExp(
  `^([0-9a-fA-F]{1,13})(?:;[${TCHARS}]+(?:=(?:[${TCHARS}]+|"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"))?)*$`,
);

const State = {
  /** No message expected: what happens to bytes here is the side's decision. */
  Idle: 0,
  Head: 1,
  Length: 2,
  ChunkSize: 3,
  ChunkData: 4,
  ChunkDataEnd: 5,
  Trailers: 6,
  /** The body runs until the connection closes. */
  UntilClose: 7,
  /** The connection left HTTP (an upgrade or CONNECT): the bytes after the head are not parsed. */
  Detached: 8,
  Failed: 9,
} as const;
type State = (typeof State)[keyof typeof State];

/** How a head delimits what follows it, as its side's parser decides. */
export type Delimit = number | 'chunked' | 'close' | 'interim' | 'detach';

export interface BodyEvents {
  onBody(chunk: Buffer): void;
  /** `clean`: the message ended exactly at the end of the bytes read so far. */
  onEnd(trailers: Fields, clean: boolean): void;
}

export abstract class MessageParser {
  readonly #events: BodyEvents;
  readonly #maxHeaderBytes: number;
  #state: State = State.Idle;
  /** Head, chunk-size line or trailer bytes that arrived without their terminator yet. */
  #pending: Buffer | undefined;
  #remaining = 0;
  #halted = false;
  readonly #stopsAtEnd: boolean;

  /** `stopsAtEnd`: `execute` returns when a message ends (a server reads one request at a time). */
  constructor(events: BodyEvents, maxHeaderBytes: number, stopsAtEnd: boolean) {
    this.#events = events;
    this.#maxHeaderBytes = maxHeaderBytes;
    this.#stopsAtEnd = stopsAtEnd;
  }

  /** Reads one head from `text` (which ends with the CRLF of its last line) and reports it. */
  protected abstract head(text: string): Delimit;
  /** The typed error of this side for a violation. */
  protected abstract error(fault: SyntaxFault): Error;
  /** Bytes arrived while no message is expected: a response side fails, a request side stops. */
  protected abstract idleBytes(): void;

  /** Whether a message is expected or in progress. */
  get busy(): boolean {
    return this.#state !== State.Idle && this.#state !== State.Failed && this.#state !== State.Detached;
  }

  /** Whether the body in progress ends only when the connection closes. */
  get untilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  /** The next bytes start a message. */
  protected begin(): void {
    if (this.#state !== State.Idle) throw new Error(`HTTP/1.1 parser is busy (state ${this.#state})`);
    this.#state = State.Head;
  }

  /** Makes the running `execute` return after the event in progress (flow control). */
  halt(): void {
    this.#halted = true;
  }

  /** Stops parsing for good (the connection is going away). */
  abort(): void {
    this.#state = State.Failed;
    this.#pending = undefined;
  }

  /**
   * Consumes bytes from the connection, from `at` on; returns where it stopped: the end, unless
   * the message ended (request side), the connection left HTTP, or `halt` was called. Throws the
   * side's typed error on a protocol violation, after which the parser accepts nothing more.
   */
  execute(data: Buffer, at = 0): number {
    this.#halted = false;
    try {
      return this.#execute(data, at);
    } catch (e) {
      this.abort();
      throw e instanceof SyntaxFault ? this.error(e) : e;
    }
  }

  /**
   * The connection closed. Ends a body that the close delimits; returns false if it cut a message
   * short (or no message had started).
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

  #execute(data: Buffer, at: number): number {
    while (at < data.length && !this.#halted) {
      switch (this.#state) {
        case State.Idle:
          this.idleBytes();
          return at;
        case State.Failed:
        case State.Detached:
          return at;
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
          return data.length;
      }
    }
    return at;
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
    if (buf.length > limit + terminator - 1) fail(`${what} larger than ${limit} bytes`, 431);
    this.#pending = buf;
  }

  #head(data: Buffer, at: number): number {
    const limit = this.#maxHeaderBytes;
    const [buf, old] = this.#accumulate(data, at);
    const end = buf.indexOf(HEAD_END, Math.max(0, old - 3));
    if (end < 0 || end > limit) {
      this.#keep(buf, limit, 4, 'header section');
      return data.length;
    }
    const consumed = at + end + 4 - old;
    const delimit = this.head(latin1(buf, 0, end + 2));
    // The head's handler gave up on the connection.
    if (this.#state !== State.Head) return data.length;
    if (delimit === 'interim') return consumed;
    if (delimit === 'detach') {
      this.#state = State.Detached;
      return consumed;
    }
    if (delimit === 'chunked') this.#state = State.ChunkSize;
    else if (delimit === 'close') this.#state = State.UntilClose;
    else if (delimit === 0) this.#end({}, consumed === data.length);
    else {
      this.#remaining = delimit;
      this.#state = State.Length;
    }
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
    const limit = this.#maxHeaderBytes;
    const end = buf.indexOf(HEAD_END, Math.max(0, old - 3));
    if (end < 0 || end > limit) {
      this.#keep(buf, limit, 4, 'trailer section');
      return data.length;
    }
    const trailers: Fields = {};
    parseFields(latin1(buf, 0, end + 2), 0, trailers);
    // RFC 9110 §6.5.1: framing fields are not allowed as trailers; one that sneaks in would frame
    // the message again for whoever merges trailers into the head.
    if (trailers['content-length'] !== undefined || trailers['transfer-encoding'] !== undefined)
      fail('a framing field in the trailers');
    const consumed = at + end + 4 - old;
    this.#end(trailers, consumed === data.length);
    return consumed;
  }

  #end(trailers: Fields, clean: boolean): void {
    this.#state = State.Idle;
    this.#events.onEnd(trailers, clean);
    // A request side waits for its response before it reads the next request.
    this.#halted ||= this.#stopsAtEnd;
  }
}
