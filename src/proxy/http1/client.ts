// One HTTP/1.1 keep-alive connection to an upstream host: writes one request at a time (no
// pipelining), parses its response, and says whether the connection may carry the next one.
import type net from 'node:net';
import type { Readable } from 'node:stream';
import { UpstreamProtocolError, UpstreamResetError } from '../errors.ts';
import { ResponseParser } from './response-parser.ts';
import { FIELD_VALUE, REQUEST_TARGET, TOKEN } from './syntax.ts';
import type { ResponseEvents, ResponseHead, ResponseHeaders } from './response-parser.ts';

export interface Http1Request {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body, written as it arrives: with its Content-Length header if it has one, else chunked. */
  readonly body: Readable | null;
}

/** Flow control of a response body. */
export interface Http1Controller {
  pause(): void;
  resume(): void;
}

/** What one request on a connection reports; after onEnd or onError nothing more is called. */
export interface ExchangeHandler {
  /** The request is being written (the connection is established). */
  onStart(socket: net.Socket): void;
  onResponse(status: number, headers: ResponseHeaders, controller: Http1Controller): void;
  onData(chunk: Buffer): void;
  /** `reusable`: whether the connection may carry another request. */
  onEnd(trailers: ResponseHeaders, reusable: boolean): void;
  onError(error: Error): void;
}

/** Methods whose requests carry a body by definition: without one they say `content-length: 0`. */
const PAYLOAD_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const LAST_CHUNK = '0\r\n\r\n';

/** The request head, or why it cannot be written (a header that would break the framing). */
function requestHead(request: Http1Request, chunked: boolean): string {
  if (!TOKEN.test(request.method)) throw new UpstreamProtocolError(`invalid method ${request.method}`);
  if (!REQUEST_TARGET.test(request.path))
    throw new UpstreamProtocolError(`invalid request path ${JSON.stringify(request.path.slice(0, 64))}`);
  let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
  const headers = request.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!TOKEN.test(name))
      throw new UpstreamProtocolError(`invalid request header name ${JSON.stringify(name)}`);
    if (typeof value === 'string') {
      if (!FIELD_VALUE.test(value))
        throw new UpstreamProtocolError(`invalid characters in request header ${name}`);
      head += `${name}: ${value}\r\n`;
    } else
      for (const v of value) {
        if (!FIELD_VALUE.test(v))
          throw new UpstreamProtocolError(`invalid characters in request header ${name}`);
        head += `${name}: ${v}\r\n`;
      }
  }
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  else if (!request.body && headers['content-length'] === undefined && PAYLOAD_METHODS.has(request.method))
    head += 'content-length: 0\r\n';
  return head + '\r\n';
}

/** One request and its response on a connection. */
class Exchange implements Http1Controller {
  readonly request: Http1Request;
  readonly handler: ExchangeHandler;
  readonly #connection: Http1Connection;
  chunked = false;
  /** The whole request, body included, has been handed to the socket. */
  requestDone = false;
  paused = false;
  constructor(connection: Http1Connection, request: Http1Request, handler: ExchangeHandler) {
    this.#connection = connection;
    this.request = request;
    this.handler = handler;
  }
  pause(): void {
    if (this.#connection.current !== this || this.paused) return;
    this.paused = true;
    this.#connection.socket.pause();
  }
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.#connection.current === this) this.#connection.socket.resume();
  }
}

/**
 * An HTTP/1.1 client connection over a socket from the pool (plain TCP or TLS, maybe still
 * connecting). Closes itself after `idleTimeoutMs` without a request; `onGone` runs once, when the
 * socket has closed.
 */
export class Http1Connection {
  readonly socket: net.Socket;
  readonly #parser: ResponseParser;
  readonly #onGone: () => void;
  #ready = false;
  #exchange: Exchange | undefined;
  #error: Error | undefined;

  constructor(socket: net.Socket, readyEvent: string, idleTimeoutMs: number, onGone: () => void) {
    this.socket = socket;
    this.#onGone = onGone;
    const events: ResponseEvents = {
      onHead: (head) => this.#onHead(head),
      onBody: (chunk) => this.#exchange?.handler.onData(chunk),
      onEnd: (trailers, reusable) => this.#onEnd(trailers, reusable),
    };
    this.#parser = new ResponseParser(events);
    socket.once(readyEvent, () => this.#onReady());
    socket.on('data', (data: Buffer) => this.#onData(data));
    socket.on('end', () => this.#onEof());
    socket.on('error', (e: Error) => (this.#error ??= e));
    socket.on('close', () => this.#onClose());
    socket.on('drain', () => this.#onDrain());
    // Activity on the socket re-arms the timer; it only closes a connection without a request.
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => {
      if (!this.#exchange) socket.destroy();
    });
  }

  /** The request in progress, if any. */
  get current(): Exchange | undefined {
    return this.#exchange;
  }

  /** Whether a new request may start on it now (open, and no request in progress). */
  get idle(): boolean {
    return !this.socket.destroyed && !this.#exchange;
  }

  /** Starts a request; the connection must be idle. */
  request(request: Http1Request, handler: ExchangeHandler): void {
    if (this.#exchange) throw new Error('HTTP/1.1 connection is busy');
    this.#exchange = new Exchange(this, request, handler);
    if (this.#ready) this.#send(this.#exchange);
  }

  /** Ends the request in progress by closing the connection; its handler hears nothing more. */
  abort(): void {
    this.#exchange = undefined;
    this.#parser.abort();
    this.socket.destroy();
  }

  /** Closes the connection now (an idle one, or when the pool shuts). */
  destroy(): void {
    this.socket.destroy();
  }

  #onReady(): void {
    this.#ready = true;
    if (this.#exchange) this.#send(this.#exchange);
  }

  #send(exchange: Exchange): void {
    const { request, handler } = exchange;
    const body = request.body;
    exchange.chunked = body !== null && request.headers['content-length'] === undefined;
    let head: string;
    try {
      head = requestHead(request, exchange.chunked);
    } catch (e) {
      // Nothing was written: the connection stays usable.
      this.#exchange = undefined;
      handler.onError(e as Error);
      return;
    }
    this.#parser.expect(request.method);
    handler.onStart(this.socket);
    if (this.#exchange !== exchange) return;
    if (!body) {
      exchange.requestDone = true;
      this.socket.write(head, 'latin1');
      return;
    }
    this.socket.cork();
    this.socket.write(head, 'latin1');
    body.on('data', (chunk: Buffer) => this.#writeBody(exchange, chunk));
    body.once('end', () => {
      if (this.#exchange !== exchange) return;
      if (exchange.chunked) this.socket.write(LAST_CHUNK);
      exchange.requestDone = true;
    });
    body.once('close', () => {
      // A body that stopped before its end: the upstream must not wait for the rest.
      if (!exchange.requestDone && this.#exchange === exchange)
        this.#fail(new UpstreamResetError('request body aborted'));
    });
    process.nextTick(() => this.socket.uncork());
  }

  #writeBody(exchange: Exchange, chunk: Buffer): void {
    if (this.#exchange !== exchange || chunk.length === 0) return;
    const socket = this.socket;
    let flushed: boolean;
    if (exchange.chunked) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      flushed = socket.write('\r\n');
      process.nextTick(() => socket.uncork());
    } else flushed = socket.write(chunk);
    if (!flushed) exchange.request.body!.pause();
  }

  #onDrain(): void {
    const body = this.#exchange?.request.body;
    if (body && !this.#exchange!.requestDone) body.resume();
  }

  #onData(data: Buffer): void {
    try {
      this.#parser.execute(data);
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #onHead(head: ResponseHead): void {
    const exchange = this.#exchange;
    if (exchange) exchange.handler.onResponse(head.status, head.headers, exchange);
  }

  #onEnd(trailers: ResponseHeaders, reusable: boolean): void {
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#exchange = undefined;
    if (exchange.paused) this.socket.resume();
    // A response that ended before its request did (an early 413, say) leaves the upstream
    // reading a body nobody will finish: the connection cannot be reused.
    const clean = reusable && exchange.requestDone && !this.socket.destroyed;
    if (!clean) this.socket.destroy();
    exchange.handler.onEnd(trailers, clean);
  }

  #onEof(): void {
    if (!this.#parser.finish())
      this.#fail(new UpstreamResetError('upstream closed the connection mid-response'));
    // The upstream is done with the connection: it must not look idle until its close event.
    else this.socket.destroy();
  }

  #onClose(): void {
    if (this.#exchange) this.#fail(this.#error ?? new UpstreamResetError('upstream connection closed'));
    this.#onGone();
  }

  /** The request in progress failed: the connection goes with it. */
  #fail(error: Error): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    this.#parser.abort();
    this.socket.destroy();
    exchange?.handler.onError(error);
  }
}
