// A response on a downstream HTTP/1.1 connection: the head is held until the first body bytes (or
// the end) so that a small response leaves in one write; the body is framed by Content-Length,
// chunks (with trailers) or the connection's close, as the request's version allows.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { ResponseHeaderError } from '../errors.ts';
import { nodeHttp } from '../node-http.ts';
import { FIELD_VALUE, TOKEN } from './syntax.ts';

export type OutgoingHeaders = Record<string, string | string[] | number | undefined>;

/** What a response tells the connection it belongs to. */
export interface ResponseOwner {
  /** The whole response was handed to the socket; `keepAlive`: another request may follow. */
  responseDone(keepAlive: boolean): void;
  /** Makes the connection report `ms` without bytes either way to `timedOut` (0: never). */
  armTimeout?(ms: number): void;
}

/** Chunks up to this size are copied with their framing into one buffer (one write). */
const COALESCE_BYTES = 16 * 1024;
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

let dateSecond = 0;
let dateValue = '';
/** The Date header, formatted at most once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

/** Fields the codec writes itself, from the framing and keep-alive it chose. */
const FRAMING_FIELDS = new Set(['connection', 'transfer-encoding']);

function headerLines(headers: OutgoingHeaders): string {
  let lines = '';
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || FRAMING_FIELDS.has(name)) continue;
    if (!TOKEN.test(name))
      throw new ResponseHeaderError(`invalid response header name ${JSON.stringify(name)}`);
    if (typeof value === 'object') {
      for (const v of value) lines += line(name, v);
    } else lines += line(name, typeof value === 'number' ? String(value) : value);
  }
  return lines;
}

function line(name: string, value: string): string {
  if (!FIELD_VALUE.test(value))
    throw new ResponseHeaderError(`invalid characters in response header ${name}`);
  return `${name}: ${value}\r\n`;
}

const Framing = { None: 0, Length: 1, Chunked: 2, Close: 3 } as const;
type Framing = (typeof Framing)[keyof typeof Framing];

export class ServerResponse extends EventEmitter {
  readonly socket: net.Socket;
  readonly #owner: ResponseOwner;
  readonly #method: string;
  readonly #http10: boolean;
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  /** Whether the connection may stay open after this response (the request allowed it). */
  shouldKeepAlive: boolean;
  #framing: Framing = Framing.None;
  /** The head, written together with the first body bytes. */
  #head: string | undefined;
  #trailers: OutgoingHeaders | undefined;
  #closed = false;
  #awaitingDrain = false;
  #onTimeout: (() => void) | undefined;

  constructor(socket: net.Socket, owner: ResponseOwner, method: string, http10: boolean, keepAlive: boolean) {
    super();
    this.socket = socket;
    this.#owner = owner;
    this.#method = method;
    this.#http10 = http10;
    this.shouldKeepAlive = keepAlive;
  }

  writeHead(status: number, headers: OutgoingHeaders): this {
    if (this.headersSent) throw new ResponseHeaderError('response head already written');
    this.statusCode = status;
    const bodiless = this.#method === 'HEAD' || status === 204 || status === 304 || status < 200;
    // The connection's fate is this codec's decision; `close` from upstream or draining ends it.
    const connection = headers.connection;
    if (connection !== undefined && String(connection).toLowerCase().includes('close'))
      this.shouldKeepAlive = false;
    let extra = '';
    if (bodiless) this.#framing = Framing.None;
    else if (headers['content-length'] !== undefined) this.#framing = Framing.Length;
    else if (this.#http10) {
      this.#framing = Framing.Close;
      this.shouldKeepAlive = false;
    } else {
      this.#framing = Framing.Chunked;
      extra = 'transfer-encoding: chunked\r\n';
    }
    if (!this.shouldKeepAlive) {
      if (!this.#http10) extra += 'connection: close\r\n';
    } else if (this.#http10) extra += 'connection: keep-alive\r\n';
    if (headers.date === undefined) extra += `date: ${httpDate()}\r\n`;
    this.#head = `HTTP/1.1 ${status} ${nodeHttp.STATUS_CODES[status] ?? 'Unknown'}\r\n${headerLines(headers)}${extra}\r\n`;
    this.headersSent = true;
    return this;
  }

  /** Writes body bytes; false when the socket's buffer is full ('drain' follows). */
  write(chunk: Buffer | string): boolean {
    if (this.writableEnded || this.#closed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode, {});
    const data = toBuffer(chunk);
    if (data.length === 0 || this.#framing === Framing.None) return this.#flushHead();
    const flushed = this.#send(data, this.#framing === Framing.Chunked ? CRLF : undefined);
    if (!flushed && !this.#awaitingDrain) {
      this.#awaitingDrain = true;
      this.socket.once('drain', this.#emitDrain);
    }
    return flushed;
  }

  readonly #emitDrain = (): void => {
    this.#awaitingDrain = false;
    this.emit('drain');
  };

  addTrailers(trailers: OutgoingHeaders): void {
    this.#trailers = trailers;
  }

  end(chunk?: Buffer | string): void {
    if (this.writableEnded || this.#closed) return;
    if (!this.headersSent) this.writeHead(this.statusCode, {});
    this.writableEnded = true;
    // The last body bytes, the last chunk and the held head leave in one write.
    const data = chunk === undefined || this.#framing === Framing.None ? undefined : toBuffer(chunk);
    if (this.#framing === Framing.Chunked) {
      const trailers = this.#trailers;
      const last = trailers ? `0\r\n${headerLines(trailers)}\r\n` : LAST_CHUNK;
      if (data !== undefined && data.length > 0) this.#send(data, CRLF + last);
      else {
        const head = this.#head;
        this.#head = undefined;
        this.socket.write(head === undefined ? last : head + last, 'latin1');
      }
    } else if (data !== undefined && data.length > 0) this.#send(data, undefined);
    else this.#flushHead();
    this.writableFinished = true;
    this.#clearTimeout();
    this.emit('finish');
    this.#close();
    // Not for HTTP/1.0 close-delimited bodies or `connection: close`: the owner ends the socket.
    this.#owner.responseDone(this.shouldKeepAlive);
  }

  /** Cuts the response (and the connection): the client sees a truncated response or a reset. */
  destroy(): void {
    this.socket.destroy();
  }

  /** The connection closed: a response not finished by then was cut short. */
  connectionClosed(): void {
    this.#clearTimeout();
    this.#close();
  }

  /** Calls `onTimeout` after `ms` without bytes either way on the connection (0 turns it off). */
  setTimeout(ms: number, onTimeout: () => void): void {
    this.#onTimeout = onTimeout;
    this.#owner.armTimeout?.(ms);
  }

  /** The connection's timeout fired while this response was in progress. */
  timedOut(): void {
    this.#onTimeout?.();
  }

  #clearTimeout(): void {
    this.#onTimeout = undefined;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  /** Writes the held head, if any. */
  #flushHead(): boolean {
    const head = this.#head;
    if (head === undefined) return true;
    this.#head = undefined;
    return this.socket.write(head, 'latin1');
  }

  /** Writes body bytes, after the held head and inside chunk framing when `suffix` is given. */
  #send(data: Buffer, suffix: string | undefined): boolean {
    const socket = this.socket;
    const head = this.#head;
    const prefix = suffix === undefined ? '' : `${data.length.toString(16)}\r\n`;
    const before = head === undefined ? prefix : head + prefix;
    this.#head = undefined;
    if (before === '' && suffix === undefined) return socket.write(data);
    if (data.length <= COALESCE_BYTES) {
      const size = before.length + data.length + (suffix?.length ?? 0);
      const out = Buffer.allocUnsafe(size);
      out.write(before, 0, 'latin1');
      data.copy(out, before.length);
      if (suffix !== undefined) out.write(suffix, before.length + data.length, 'latin1');
      return socket.write(out);
    }
    socket.cork();
    if (before !== '') socket.write(before, 'latin1');
    let flushed = socket.write(data);
    if (suffix !== undefined) flushed = socket.write(suffix);
    socket.uncork();
    return flushed;
  }
}
