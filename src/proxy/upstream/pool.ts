// Connection pools, one per upstream host: HTTP/1.1 keep-alive connections (this component's own
// HTTP/1.1 codec) and one multiplexed HTTP/2 session, over sockets counted and timed here.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { closeAfterWrites, Http1Connection } from '../http1/index.ts';
import type { ExchangeHandler, Http1Controller, Http1Request, ResponseHeaders } from '../http1/index.ts';
import type { Host } from './host.ts';
import type { ClusterStats } from './stats.ts';

export type { Http1Controller, Http1Request } from '../http1/index.ts';

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
  if (!options.tls) return socket;
  const tlsOptions = options.tls();
  if (typeof tlsOptions === 'string') {
    // No certificate yet: fail like a connection failure, after the caller attached its handlers.
    setImmediate(() => socket.destroy(new Error(`TLS not ready: ${tlsOptions}`)));
    return socket;
  }
  const secure = tls.connect({ ...tlsOptions, socket });
  secure.once('error', () => socket.destroy());
  return secure;
}

/** What an HTTP/1.1 request gets back from its pool. */
export interface Http1Handler {
  /** The request is being written on a ready connection (it stops being pending). */
  onStart(socket: net.Socket): void;
  onResponse(status: number, headers: ResponseHeaders, controller: Http1Controller): void;
  onData(chunk: Buffer): void;
  onEnd(trailers: ResponseHeaders): void;
  onError(error: Error): void;
}

interface PooledConnection {
  readonly connection: Http1Connection;
  requests: number;
  /** Reached max_requests_per_connection: retired once its request is over. */
  spent: boolean;
  retired: boolean;
}

/** A request handed to the pool; `cancel` drops it from the queue or resets it on its connection. */
export class Http1Ticket implements ExchangeHandler {
  readonly request: Http1Request;
  readonly handler: Http1Handler;
  readonly #pool: Http1Pool;
  #conn: PooledConnection | undefined;
  cancelled = false;
  constructor(pool: Http1Pool, request: Http1Request, handler: Http1Handler) {
    this.#pool = pool;
    this.request = request;
    this.handler = handler;
  }

  /** Runs the request on a connection the pool chose. */
  start(conn: PooledConnection): void {
    this.#conn = conn;
    conn.connection.request(this.request, this);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn?.connection.current) conn.connection.abort();
  }

  onStart(socket: net.Socket): void {
    this.handler.onStart(socket);
  }
  onResponse(status: number, headers: ResponseHeaders, controller: Http1Controller): void {
    this.handler.onResponse(status, headers, controller);
  }
  onData(chunk: Buffer): void {
    this.handler.onData(chunk);
  }
  onEnd(trailers: ResponseHeaders, reusable: boolean): void {
    this.#done(reusable);
    this.handler.onEnd(trailers);
  }
  onError(error: Error): void {
    // A failed request usually took its connection down with it (a write refused before sending does not).
    this.#done(this.#conn?.connection.idle ?? false);
    if (!this.cancelled) this.handler.onError(error);
  }

  #done(reusable: boolean): void {
    const conn = this.#conn;
    this.#conn = undefined;
    // The connection is back before the handler runs, so a request it starts can use it.
    if (conn) this.#pool.finished(conn, reusable);
  }
}

/**
 * HTTP/1.1 keep-alive connections to one host, each over a socket from connectHost. At most
 * maxConnections exist; further requests wait in FIFO order, as in Envoy's pool. The most recently
 * used idle connection is reused first.
 */
export class Http1Pool {
  readonly kind = 'h1';
  readonly #host: Host;
  readonly #options: PoolOptions;
  readonly #maxRequestsPerConnection: number;
  readonly #idle: PooledConnection[] = [];
  readonly #waiting: Http1Ticket[] = [];
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
    const ticket = new Http1Ticket(this, request, handler);
    const conn = this.#take();
    if (conn) this.#dispatch(conn, ticket);
    else this.#waiting.push(ticket);
    return ticket;
  }

  #take(): PooledConnection | undefined {
    // An idle connection may be closing, its close event (which retires it) still to come: skipped.
    let conn = this.#idle.pop();
    while (conn && !conn.connection.idle) conn = this.#idle.pop();
    return conn ?? (this.#open < this.#options.maxConnections ? this.#connection() : undefined);
  }

  #connection(): PooledConnection {
    this.#open++;
    const socket = connectHost(this.#host, this.#options);
    const conn: PooledConnection = {
      connection: new Http1Connection(socket, readyEvent(socket), this.#options.idleTimeoutMs, () =>
        this.#retire(conn),
      ),
      requests: 0,
      spent: false,
      retired: false,
    };
    return conn;
  }

  /** A connection that closed, or will not be reused, leaves the pool. */
  #retire(conn: PooledConnection): void {
    if (conn.retired) return;
    conn.retired = true;
    this.#open--;
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    conn.connection.destroy();
    this.#next();
  }

  /** A connection was released or retired: start the oldest waiting request if one may start. */
  #next(): void {
    while (this.#waiting.length && !this.#closed) {
      const conn = this.#take();
      if (!conn) return;
      const ticket = this.#waiting.shift()!;
      if (ticket.cancelled) {
        this.#release(conn);
        continue;
      }
      this.#dispatch(conn, ticket);
    }
  }

  #release(conn: PooledConnection): void {
    if (conn.retired) return;
    if (this.#closed || !conn.connection.idle) {
      this.#retire(conn);
      return;
    }
    this.#idle.push(conn);
    this.#next();
  }

  #dispatch(conn: PooledConnection, ticket: Http1Ticket): void {
    // Envoy's max_requests_per_connection: the connection closes after its last allowed request.
    if (++conn.requests === this.#maxRequestsPerConnection) conn.spent = true;
    ticket.start(conn);
  }

  /** A request on `conn` is over (called by its ticket). */
  finished(conn: PooledConnection, reusable: boolean): void {
    if (reusable && !conn.spent) this.#release(conn);
    else this.#retire(conn);
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
      createConnection: () => {
        const socket = connectHost(this.#host, this.#options);
        // A session that is done (after a GOAWAY, say) only ends its side of the socket: an
        // upstream that never ends its own would hold the connection open for ever.
        socket.once('finish', () => closeAfterWrites(socket));
        return socket;
      },
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
