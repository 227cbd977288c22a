// Connection pools, one per upstream host: HTTP/1.1 keep-alive connections (undici's HTTP/1.1 codec
// over our own sockets, for counting and connect timeouts) and one multiplexed HTTP/2 session.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Client as UndiciClient, Dispatcher } from 'undici';
import type { Host } from './host.ts';
import type { ClusterStats } from './stats.ts';

// undici's package root also loads fetch, WebSocket, caches and mocks (about 10 MiB in every
// sidecar); the pool needs only its HTTP/1.1 client.
type Client = UndiciClient;
const Client = createRequire(import.meta.url)('undici/lib/dispatcher/client.js') as typeof UndiciClient;

export class ConnectTimeoutError extends Error {
  readonly code = 'UPSTREAM_CONNECT_TIMEOUT';
}

export interface PoolOptions {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly stats: ClusterStats;
  /** Called when a connection opens or closes (circuit breaker gauges follow the count). */
  readonly onConnections?: () => void;
  /** Upstream TLS: options for each new connection, or why TLS cannot start yet. */
  readonly tls?: () => tls.ConnectionOptions | string;
}

/** The event after which a connection from connectHost carries application data. */
export function readyEvent(socket: net.Socket): 'secureConnect' | 'connect' {
  return socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect';
}

const readySockets = new WeakSet<net.Socket>();

/** Whether a connection from connectHost is established (TCP connected, TLS handshake done). */
export function isReady(socket: net.Socket): boolean {
  return readySockets.has(socket);
}

function markReady(socket: net.Socket): net.Socket {
  socket.once(readyEvent(socket), () => readySockets.add(socket));
  return socket;
}

/** Opens a TCP connection to a host, counting it and enforcing the connect timeout. */
export function connectHost(host: Host, options: PoolOptions): net.Socket {
  const socket = net.connect({ host: host.host, port: host.port, noDelay: true });
  const stats = options.stats;
  stats.upstream_cx_total.inc();
  stats.upstream_cx_active.inc();
  options.onConnections?.();
  host.cxTotal++;
  host.cxActive++;
  const timer = setTimeout(() => {
    stats.upstream_cx_connect_timeout.inc();
    socket.destroy(new ConnectTimeoutError(`connect timeout after ${options.connectTimeoutMs}ms`));
  }, options.connectTimeoutMs);
  let connected = false;
  socket.once('connect', () => {
    connected = true;
    clearTimeout(timer);
  });
  socket.once('close', () => {
    clearTimeout(timer);
    stats.upstream_cx_active.dec();
    options.onConnections?.();
    host.cxActive--;
    stats.upstream_cx_destroy.inc();
  });
  socket.once('error', () => {
    if (!connected) {
      stats.upstream_cx_connect_fail.inc();
      host.cxConnectFail++;
    }
  });
  if (!options.tls) return markReady(socket);
  const tlsOptions = options.tls();
  if (typeof tlsOptions === 'string') {
    // No certificate yet: fail like a connection failure, after the caller attached its handlers.
    setImmediate(() => socket.destroy(new Error(`TLS not ready: ${tlsOptions}`)));
    return socket;
  }
  const secure = tls.connect({ ...tlsOptions, socket });
  secure.once('error', () => socket.destroy());
  return markReady(secure);
}

/** What an HTTP/1.1 request gets back from its pool, as undici's dispatch handler reports it. */
export interface Http1Handler {
  /** The request is being written on a ready connection (it stops being pending). */
  onStart(socket: net.Socket | undefined): void;
  onResponse(status: number, headers: Record<string, string | string[]>, controller: Http1Controller): void;
  onData(chunk: Buffer): void;
  onEnd(trailers: Record<string, string | string[]>): void;
  onError(error: Error): void;
}

/** Flow control of a response body (undici's request controller). */
export interface Http1Controller {
  pause(): void;
  resume(): void;
}

export interface Http1Request {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Readable | null;
}

/** One keep-alive connection: an undici Client with pipelining 1 over a socket from connectHost. */
interface Connection {
  readonly client: Client;
  socket: net.Socket | undefined;
  busy: boolean;
  requests: number;
  /** Its socket closed while a request was on it: retired once that request is over. */
  stale: boolean;
  closed: boolean;
}

const CANCELLED = new Error('request cancelled');

interface Waiter {
  readonly request: Http1Request;
  readonly ticket: Http1Ticket;
}

/** A request handed to the pool; `cancel` drops it from the queue or resets it on its connection. */
export class Http1Ticket {
  readonly #handler: Http1Handler;
  #abort: ((reason: Error) => void) | undefined;
  cancelled = false;
  constructor(handler: Http1Handler) {
    this.#handler = handler;
  }
  get handler(): Http1Handler {
    return this.#handler;
  }
  started(abort: (reason: Error) => void): void {
    this.#abort = abort;
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.#abort?.(CANCELLED);
  }
}

/**
 * HTTP/1.1 keep-alive connections to one host, each an undici Client (the HTTP/1.1 codec) over a
 * socket from connectHost. At most maxConnections exist; further requests wait in FIFO order, as
 * in Envoy's pool. The most recently used idle connection is reused first.
 */
export class Http1Pool {
  readonly kind = 'h1';
  readonly #host: Host;
  readonly #options: PoolOptions;
  readonly #maxRequestsPerConnection: number;
  readonly #idle: Connection[] = [];
  readonly #waiting: Waiter[] = [];
  #open = 0;
  #closed = false;

  constructor(host: Host, options: PoolOptions, maxRequestsPerConnection = 0) {
    this.#host = host;
    this.#options = options;
    this.#maxRequestsPerConnection = maxRequestsPerConnection;
  }

  /** Connections ready for a new request right now. */
  get free(): number {
    return this.#idle.length;
  }

  request(request: Http1Request, handler: Http1Handler): Http1Ticket {
    const ticket = new Http1Ticket(handler);
    const conn =
      this.#idle.pop() ?? (this.#open < this.#options.maxConnections ? this.#connection() : undefined);
    if (conn) this.#dispatch(conn, request, ticket);
    else this.#waiting.push({ request, ticket });
    return ticket;
  }

  #connection(): Connection {
    this.#open++;
    // The client connects lazily (on its first request), after `conn` below exists.
    const client = new Client(`http://${this.#host.address}`, {
      pipelining: 1,
      // This pool speaks HTTP/1.1 whatever ALPN agreed; HTTP/2 clusters use Http2Pool.
      allowH2: false,
      // Timeouts belong to the router (route and per-try timeouts), not to the codec.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: this.#options.idleTimeoutMs,
      keepAliveMaxTimeout: this.#options.idleTimeoutMs,
      keepAliveTimeoutThreshold: 0,
      maxRequestsPerClient: this.#maxRequestsPerConnection || undefined,
      connect: (_opts, callback) => {
        const socket = connectHost(this.#host, this.#options);
        conn.socket = socket;
        const onError = (e: Error) => callback(e, null);
        socket.once('error', onError);
        socket.once(readyEvent(socket), () => {
          socket.removeListener('error', onError);
          callback(null, socket);
        });
      },
    });
    const conn: Connection = {
      client,
      socket: undefined,
      busy: false,
      requests: 0,
      stale: false,
      closed: false,
    };
    // A connection that closed is not reused: the next request gets a fresh one.
    const lost = () => {
      if (conn.busy) conn.stale = true;
      else this.#retire(conn);
    };
    client.on('disconnect', lost);
    client.on('connectionError', lost);
    return conn;
  }

  #retire(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#open--;
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    void conn.client.destroy().catch(() => undefined);
    this.#next();
  }

  /** A connection was released or retired: start the oldest waiting request if one may start. */
  #next(): void {
    while (this.#waiting.length && !this.#closed) {
      const conn =
        this.#idle.pop() ?? (this.#open < this.#options.maxConnections ? this.#connection() : undefined);
      if (!conn) return;
      const w = this.#waiting.shift()!;
      if (w.ticket.cancelled) {
        this.#release(conn);
        continue;
      }
      this.#dispatch(conn, w.request, w.ticket);
    }
  }

  #release(conn: Connection): void {
    if (conn.closed) return;
    if (this.#closed) {
      this.#retire(conn);
      return;
    }
    this.#idle.push(conn);
    this.#next();
  }

  #dispatch(conn: Connection, request: Http1Request, ticket: Http1Ticket): void {
    const handler = ticket.handler;
    let done = false;
    conn.busy = true;
    // Envoy's max_requests_per_connection: the connection closes after its last allowed request.
    if (++conn.requests === this.#maxRequestsPerConnection) conn.stale = true;
    const finish = (reuse: boolean) => {
      if (done) return;
      done = true;
      conn.busy = false;
      if (reuse && !conn.stale) this.#release(conn);
      else this.#retire(conn);
    };
    conn.client.dispatch(
      {
        method: request.method,
        path: request.path,
        headers: request.headers as Dispatcher.DispatchOptions['headers'],
        body: request.body,
      },
      {
        onRequestStart: (controller) => {
          if (ticket.cancelled) return controller.abort(CANCELLED);
          ticket.started((reason) => controller.abort(reason));
          handler.onStart(conn.socket);
        },
        onResponseStart: (controller, status, headers) => {
          const connection = headers.connection;
          if (typeof connection === 'string' && connection.toLowerCase().includes('close')) conn.stale = true;
          handler.onResponse(status, headers as Record<string, string | string[]>, controller);
        },
        onResponseData: (_controller, chunk) => handler.onData(chunk),
        onResponseEnd: (_controller, trailers) => {
          finish(true);
          handler.onEnd(trailers as Record<string, string | string[]>);
        },
        onResponseError: (_controller, error) => {
          finish(false);
          if (!ticket.cancelled) handler.onError(error);
        },
      },
    );
  }

  /** Graceful: idle connections close now, busy ones after their response; waiting requests still run. */
  close(): void {
    this.#closed = true;
    for (const conn of [...this.#idle]) this.#retire(conn);
  }
}

export class Http2Pool {
  readonly kind = 'h2';
  readonly #host: Host;
  readonly #options: PoolOptions;
  #session: http2.ClientHttp2Session | undefined;
  constructor(host: Host, options: PoolOptions) {
    this.#host = host;
    this.#options = options;
  }
  session(): http2.ClientHttp2Session {
    const s = this.#session;
    if (s && !s.closed && !s.destroyed) return s;
    const session = http2.connect(`http://${this.#host.address}`, {
      createConnection: () => connectHost(this.#host, this.#options),
    });
    session.on('error', () => {
      // Streams see the failure themselves; the pool only forgets the session.
    });
    session.once('close', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.once('goaway', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.setTimeout(this.#options.idleTimeoutMs, () => session.close());
    this.#session = session;
    return session;
  }
  /** Graceful: open streams finish, no new ones start on this session. */
  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }
}

export type ConnectionPool = Http1Pool | Http2Pool;
