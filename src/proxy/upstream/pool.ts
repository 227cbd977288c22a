// Connection pools, one per upstream host: HTTP/1.1 keep-alive connections (node's Agent with our
// own connection factory for counting and connect timeouts) and one multiplexed HTTP/2 session.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Host } from './host.ts';
import type { ClusterStats } from './stats.ts';

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

export class Http1Pool {
  readonly kind = 'h1';
  readonly agent: http.Agent;
  constructor(host: Host, options: PoolOptions) {
    this.agent = new http.Agent({
      keepAlive: true,
      scheduling: 'lifo',
      maxSockets: options.maxConnections,
      timeout: options.idleTimeoutMs,
    });
    // Agent's own factory would skip our counters and connect timeout.
    (this.agent as unknown as { createConnection: () => net.Socket }).createConnection = () =>
      connectHost(host, options);
  }
  /** Graceful: idle connections close now, busy ones after their response; nothing is reused. */
  close(): void {
    const agent = this.agent as http.Agent & { keepSocketAlive(socket: net.Socket): boolean };
    agent.keepSocketAlive = () => false;
    for (const sockets of Object.values(this.agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
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
