// A downstream HTTP/1.1 connection: parses one request at a time and hands it to the handler with
// its response. Pipelined requests wait, unparsed, until the response before them is done, so a
// request can never overtake another or desynchronise the connection. CONNECT and upgrades leave
// the connection to the handler with the bytes that followed their head.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { DownstreamProtocolError } from '../errors.ts';
import { nodeHttp } from '../node-http.ts';
import { RequestParser } from './request-parser.ts';
import type { RequestEvents, RequestHead, RequestHeaders } from './request-parser.ts';
import { ServerResponse } from './server-response.ts';
import type { ResponseOwner } from './server-response.ts';

export interface ServerOptions {
  /** The limit on a request head; over it is 431. */
  readonly maxHeaderBytes: number;
  /** A connection without a request for this long closes (0: never; checked once a second). */
  readonly idleTimeoutMs: number;
  /** A request head must arrive within this long of its first byte, else 408. */
  readonly headersTimeoutMs: number;
  /** A whole request must arrive within this long of its first byte, else 408 (0: no limit). */
  readonly requestTimeoutMs: number;
}

export interface ServerHandler {
  request(req: ServerRequest, res: ServerResponse): void;
  /** CONNECT or an upgrade: the socket is the handler's from now on; `head` followed the request head. */
  tunnel(req: ServerRequest, socket: net.Socket, head: Buffer): void;
  /** A request broke the protocol or took too long; the connection answers and closes. */
  protocolError(error: DownstreamProtocolError): void;
}

/**
 * A request's head and its body as events: 'data' for each chunk (held back in the connection
 * while paused), then 'end'; 'close' when the connection goes away first.
 */
export class ServerRequest extends EventEmitter {
  readonly socket: net.Socket;
  readonly method: string;
  url: string;
  readonly httpVersion: '1.0' | '1.1';
  readonly headers: RequestHeaders;
  readableEnded = false;
  trailers: RequestHeaders = {};
  #paused = false;
  readonly #connection: ServerConnection;

  constructor(connection: ServerConnection, socket: net.Socket, head: RequestHead) {
    super();
    this.#connection = connection;
    this.socket = socket;
    this.method = head.method;
    this.url = head.target;
    this.httpVersion = head.http10 ? '1.0' : '1.1';
    this.headers = head.headers;
  }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    if (this.#paused) {
      this.#paused = false;
      this.#connection.resumeBody(this);
    }
    return this;
  }
}

/** How long a closing connection waits for its peer's FIN (Envoy's delayed_close_timeout). */
const DELAYED_CLOSE_MS = 1000;

/**
 * Closes a connection after the bytes written so far, as Envoy's delayed close does: the peer's
 * FIN is awaited for up to DELAYED_CLOSE_MS while whatever it still sends is read and dropped.
 * Ending the socket alone would wait for ever on a paused socket or a peer that never closes;
 * destroying it with bytes unread would reset the connection under its last response.
 */
export function closeAfterWrites(socket: net.Socket, lastBytes?: string): void {
  if (lastBytes === undefined) socket.end();
  else socket.end(lastBytes);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), DELAYED_CLOSE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

const Phase = {
  /** Waiting for a request head (idle or receiving one). */
  Head: 0,
  /** A request's body is being received. */
  Body: 1,
  /** The request is in; its response is not done yet. */
  Responding: 2,
  Closed: 3,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class ServerConnection implements ResponseOwner {
  readonly socket: net.Socket;
  readonly #options: ServerOptions;
  readonly #handler: ServerHandler;
  readonly #parser: RequestParser;
  #phase: Phase = Phase.Head;
  /** Bytes read but not parsed yet (a pipelined request, or a body held back while paused). */
  #unparsed: Buffer | undefined;
  #parsing = false;
  #req: ServerRequest | undefined;
  #res: ServerResponse | undefined;
  /** The response ended before its request's body: the rest of the body is read and dropped. */
  #discarding = false;
  /** A request whose head was parsed, handed to the handler once the parser has returned. */
  #dispatch: ServerRequest | undefined;
  /** When the request being received started (performance.now()), or 0 between requests. */
  #requestStartedAt = 0;
  #headDone = false;
  #draining = false;
  /** When the last response ended (or the connection opened): the start of an idle period. */
  #idleSince = performance.now();
  /** The inactivity timeout the socket has now (the responses' stream idle timeout). */
  #armedMs = 0;
  /** The client finished sending: no request follows the one in progress. */
  #eof = false;

  constructor(socket: net.Socket, options: ServerOptions, handler: ServerHandler) {
    this.socket = socket;
    this.#options = options;
    this.#handler = handler;
    const events: RequestEvents = {
      onHead: (head) => this.#onHead(head),
      onBody: (chunk) => this.#onBody(chunk),
      onEnd: (trailers) => this.#onEnd(trailers),
    };
    this.#parser = new RequestParser(events, options.maxHeaderBytes);
    socket.on('data', this.#onData);
    socket.on('error', () => socket.destroy());
    socket.on('end', this.#onEof);
    socket.on('close', () => this.#onClose());
    socket.on('timeout', this.#onTimeout);
  }

  /**
   * Stops keep-alive: the next response says `connection: close` and the connection closes after
   * it. An idle connection is left open, as Envoy leaves it, until the drain period ends: closing
   * it now would race a request its client may be sending.
   */
  drain(): void {
    this.#draining = true;
  }

  /**
   * Answers 408 to a request that took too long to arrive and closes a connection idle for too
   * long; the connection set calls it periodically, so no request arms a timer of its own.
   */
  checkDeadline(now: number): void {
    const started = this.#requestStartedAt;
    const { idleTimeoutMs } = this.#options;
    if (
      started === 0 &&
      this.#phase === Phase.Head &&
      this.#unparsed === undefined &&
      idleTimeoutMs > 0 &&
      now - this.#idleSince > idleTimeoutMs
    ) {
      this.socket.destroy();
      return;
    }
    if (started === 0 || (this.#phase !== Phase.Head && this.#phase !== Phase.Body)) return;
    const { headersTimeoutMs, requestTimeoutMs } = this.#options;
    const late =
      (!this.#headDone && now - started > headersTimeoutMs) ||
      (requestTimeoutMs > 0 && now - started > requestTimeoutMs);
    if (late) this.#reject(new DownstreamProtocolError('downstream request: timed out', 408));
  }

  readonly #onData = (data: Buffer): void => {
    // A closing connection drops what its client still sends.
    if (this.#phase === Phase.Closed) return;
    const unparsed = this.#unparsed;
    this.#unparsed = unparsed ? Buffer.concat([unparsed, data]) : data;
    this.#parse();
  };

  #startRequest(): void {
    this.#requestStartedAt = performance.now();
    this.#headDone = false;
  }

  /** Parses what was read, for as long as the request in progress wants more. */
  #parse(): void {
    if (this.#parsing) return;
    this.#parsing = true;
    try {
      let data = this.#unparsed;
      let at = 0;
      while (data !== undefined && at < data.length && this.#phase !== Phase.Closed) {
        if (this.#phase === Phase.Responding || (this.#req?.paused && !this.#discarding)) break;
        if (this.#phase === Phase.Head && this.#requestStartedAt === 0) this.#startRequest();
        at = this.#parser.execute(data, at);
        const req = this.#dispatch;
        if (req === undefined) continue;
        this.#dispatch = undefined;
        if (req === this.#req) this.#handler.request(req, this.#res!);
        else {
          this.#detach(req, data.subarray(at));
          return;
        }
      }
      if (this.#phase === Phase.Closed) return;
      if (data !== undefined && at >= data.length) data = undefined;
      this.#unparsed = data === undefined || at === 0 ? data : data.subarray(at);
      // Held bytes are read no further until the connection can parse again (back-pressure).
      if (this.#unparsed !== undefined) this.socket.pause();
      else this.socket.resume();
    } catch (e) {
      if (!(e instanceof DownstreamProtocolError)) throw e;
      this.#reject(e);
    } finally {
      this.#parsing = false;
    }
  }

  #onHead(head: RequestHead): void {
    this.#headDone = true;
    const req = new ServerRequest(this, this.socket, head);
    // The handler sees the request once the parser has returned: it may answer at once, and the
    // body is not parsed before it has said whether it wants it now.
    this.#dispatch = req;
    this.#parser.halt();
    if (head.tunnel) return;
    const keepAlive = head.keepAlive && !this.#draining;
    const res = new ServerResponse(this.socket, this, head.method, head.http10, keepAlive);
    this.#req = req;
    this.#res = res;
    this.#discarding = false;
    this.#phase = head.hasBody ? Phase.Body : Phase.Responding;
    if (head.hasBody && head.expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    if (!head.hasBody) {
      req.readableEnded = true;
      this.#requestStartedAt = 0;
    }
  }

  #onBody(chunk: Buffer): void {
    const req = this.#req!;
    if (this.#discarding) return;
    req.emit('data', chunk);
    if (req.paused) this.#parser.halt();
  }

  #onEnd(trailers: RequestHeaders): void {
    const req = this.#req!;
    this.#requestStartedAt = 0;
    if (req.readableEnded) return;
    req.readableEnded = true;
    req.trailers = trailers;
    if (this.#discarding) return this.#nextRequest();
    this.#phase = Phase.Responding;
    req.emit('end');
  }

  /** A paused request body may flow again. */
  resumeBody(req: ServerRequest): void {
    if (req !== this.#req || this.#phase !== Phase.Body) return;
    this.#parse();
  }

  responseDone(keepAlive: boolean): void {
    if (this.#phase === Phase.Closed) return;
    // A response that promised keep-alive keeps it, even when draining began after its head: the
    // client may already be sending the next request, whose response will say `connection: close`.
    if (!keepAlive || this.#eof) {
      this.#close();
      return;
    }
    if (this.#phase === Phase.Body) {
      // The body is read to its end and dropped, so the connection stays in step.
      this.#discarding = true;
      this.#parse();
      return;
    }
    this.#nextRequest();
  }

  #nextRequest(): void {
    this.#req = undefined;
    this.#res = undefined;
    this.#discarding = false;
    this.#phase = Phase.Head;
    this.#parser.next();
    this.#idleSince = performance.now();
    this.#parse();
  }

  #detach(req: ServerRequest, head: Buffer): void {
    this.#phase = Phase.Closed;
    this.#unparsed = undefined;
    const socket = this.socket;
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEof);
    socket.removeListener('timeout', this.#onTimeout);
    socket.setTimeout(0);
    this.#handler.tunnel(req, socket, head);
  }

  /** Answers a protocol error (unless a response already started) and closes the connection. */
  #reject(error: DownstreamProtocolError): void {
    this.#handler.protocolError(error);
    const started = this.#res?.headersSent === true;
    this.#parser.abort();
    if (started || !this.socket.writable) {
      this.#phase = Phase.Closed;
      this.#unparsed = undefined;
      this.socket.destroy();
      return;
    }
    this.#close(
      `HTTP/1.1 ${error.status} ${nodeHttp.STATUS_CODES[error.status]}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
    );
  }

  #close(lastBytes?: string): void {
    this.#phase = Phase.Closed;
    this.#unparsed = undefined;
    closeAfterWrites(this.socket, lastBytes);
  }

  /** Arms the socket's inactivity timer once; later responses with the same timeout reuse it. */
  armTimeout(ms: number): void {
    if (ms === this.#armedMs) return;
    this.#armedMs = ms;
    this.socket.setTimeout(ms);
  }

  readonly #onTimeout = (): void => {
    const res = this.#res;
    if (res && !res.writableFinished) res.timedOut();
  };

  readonly #onEof = (): void => {
    this.#eof = true;
    // A half-closed client may still read the response to a request it finished sending.
    if (this.#phase === Phase.Responding) return;
    if (!this.#parser.finish() && this.#phase !== Phase.Closed) this.socket.destroy();
    else this.socket.end();
  };

  #onClose(): void {
    this.#phase = Phase.Closed;
    this.#parser.abort();
    const req = this.#req;
    const res = this.#res;
    this.#req = undefined;
    this.#res = undefined;
    if (req && !req.readableEnded) req.emit('close');
    res?.connectionClosed();
  }
}

/** The connections of one server, with the periodic check of their deadlines and idle times. */
export class ConnectionSet {
  readonly #connections = new Set<ServerConnection>();
  readonly #options: ServerOptions;
  readonly #handler: ServerHandler;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ServerOptions, handler: ServerHandler) {
    this.#options = options;
    this.#handler = handler;
  }

  add(socket: net.Socket): ServerConnection {
    const connection = new ServerConnection(socket, this.#options, this.#handler);
    this.#connections.add(connection);
    socket.once('close', () => this.#connections.delete(connection));
    this.#timer ??= setInterval(() => this.#check(), DEADLINE_CHECK_MS).unref();
    return connection;
  }

  /** Ends keep-alive on every connection: each closes after its next response. */
  drain(): void {
    for (const c of this.#connections) c.drain();
  }

  /** Cuts every connection. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const c of this.#connections) c.socket.destroy();
  }

  #check(): void {
    const now = performance.now();
    for (const c of this.#connections) c.checkDeadline(now);
  }
}

/** How often deadlines and idle times are checked: one timer per server, not one per request. */
const DEADLINE_CHECK_MS = 1000;
