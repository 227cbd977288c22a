// The HTTP connection manager (one per filter chain): codecs (HTTP/1.1 with keep-alive and
// pipelining, h2c by prior knowledge, h2 over TLS by ALPN), request sanitising, route resolution,
// the HTTP filter chain, stats, access logs and draining.
import type { IncomingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import type net from 'node:net';
import type { BlockList } from 'node:net';
import type { RouteTable } from '../router/route-config.ts';
import { matchRoute, selectVirtualHost } from '../router/match.ts';
import type { StatsStore } from '../stats/store.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { HcmConfig } from '../xds/decode/hcm.ts';
import type { SecretConfig } from '../listener/tls.ts';
import { ConnectionSet } from '../http1/index.ts';
import type { ServerHandler, ServerResponse } from '../http1/index.ts';
import type { AccessLogSinks } from './access-log.ts';
import { internalAddresses, sanitizeRequest } from './edge.ts';
import type { HttpFilter } from './filters/registry.ts';
import { countResponse, httpStats } from './stats.ts';
import type { HttpStats } from './stats.ts';
import { HttpStream } from './stream.ts';
import type { DownstreamRequest, DownstreamResponse } from './stream.ts';
import { handleConnect, handleUpgrade } from './tunnel.ts';

/**
 * Envoy's normalize_path (RFC 3986 dot-segment removal, path part only) and merge_slashes.
 * The query string is left untouched.
 */
export function normalizePath(target: string, dotSegments: boolean, mergeSlashes: boolean): string {
  const q = target.indexOf('?');
  let path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  if (mergeSlashes) path = path.replace(/\/{2,}/g, '/');
  if (dotSegments) {
    const out: string[] = [];
    const segments = path.split('/');
    segments.forEach((seg, i) => {
      if (seg === '.') {
        if (i === segments.length - 1) out.push('');
      } else if (seg === '..') {
        if (out.length > 1) out.pop();
        if (i === segments.length - 1) out.push('');
      } else out.push(seg);
    });
    path = out.join('/') || '/';
    if (!path.startsWith('/')) path = `/${path}`;
  }
  return path + query;
}

/** Longest request target accepted; longer ones get 414. */
export const MAX_URI_BYTES = 16 * 1024;
/** How long a request head may take to arrive once started (slow-header clients get 408). */
const HEADERS_TIMEOUT_MS = 60_000;

export interface HcmEnv {
  readonly clusters: ClusterManager;
  readonly routes: (name: string) => RouteTable | undefined;
  readonly stats: StatsStore;
  readonly accessLogs: AccessLogSinks;
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** SDS secrets by name (TLS certificates and CAs). */
  readonly secrets: (name: string) => SecretConfig | undefined;
}

const H2_PREFACE = 'PRI * HTTP/2.0';

export class HttpConnectionManager {
  readonly config: HcmConfig;
  readonly env: HcmEnv;
  readonly stats: HttpStats;
  readonly listenerPort: number;
  readonly #filters: readonly HttpFilter[];
  readonly #internal: BlockList;
  #h1: ConnectionSet | undefined;
  #h2: http2.Http2Server | undefined;
  readonly #sessions = new Set<Http2Session>();
  #draining = false;

  constructor(config: HcmConfig, env: HcmEnv, listenerPort: number) {
    this.config = config;
    this.env = env;
    this.listenerPort = listenerPort;
    const scope = env.stats.http(config.statPrefix);
    this.stats = httpStats(scope);
    this.#filters = config.httpFilters.map((f) => f.factory.create(f.config, scope));
    this.#internal = internalAddresses(config.internalCidrs);
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Takes over an accepted connection; `protocol` comes from ALPN or listener inspection when known. */
  handleConnection(socket: net.Socket, protocol?: 'h1' | 'h2'): void {
    this.stats.downstream_cx_total.inc();
    this.stats.downstream_cx_active.inc();
    socket.once('close', () => {
      this.stats.downstream_cx_active.dec();
      this.stats.downstream_cx_destroy.inc();
    });
    if (protocol || this.config.codecType !== 'AUTO') {
      this.#dispatch(socket, protocol ?? (this.config.codecType === 'HTTP2' ? 'h2' : 'h1'));
      return;
    }
    // AUTO codec: the HTTP/2 connection preface tells h2c prior knowledge from HTTP/1.
    const peek = () => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return;
      socket.removeListener('readable', peek);
      socket.unshift(chunk);
      const isH2 =
        chunk.length >= 3 &&
        chunk.toString('latin1', 0, Math.min(chunk.length, H2_PREFACE.length)) ===
          H2_PREFACE.slice(0, Math.min(chunk.length, H2_PREFACE.length));
      this.#dispatch(socket, isH2 ? 'h2' : 'h1');
    };
    socket.on('readable', peek);
  }

  #dispatch(socket: net.Socket, protocol: 'h1' | 'h2'): void {
    if (protocol === 'h2') {
      this.stats.downstream_cx_http2_total.inc();
      this.#http2().emit('connection', socket);
    } else {
      this.stats.downstream_cx_http1_total.inc();
      this.#http1().add(socket);
    }
  }

  #http1(): ConnectionSet {
    if (this.#h1) return this.#h1;
    const handler: ServerHandler = {
      request: (req, res) => this.#onRequest(req, res, false),
      tunnel: (req, socket, head) =>
        req.method === 'CONNECT'
          ? handleConnect(this, req, socket, head)
          : handleUpgrade(this, req, socket, head),
      protocolError: () => this.stats.downstream_cx_protocol_error.inc(),
    };
    const config = this.config;
    this.#h1 = new ConnectionSet(
      {
        maxHeaderBytes: config.maxRequestHeadersKb * 1024,
        idleTimeoutMs: config.idleTimeoutMs,
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        requestTimeoutMs: config.requestTimeoutMs,
      },
      handler,
    );
    return this.#h1;
  }

  #http2(): http2.Http2Server {
    if (this.#h2) return this.#h2;
    const server = http2.createServer({
      maxSessionMemory: 64,
      maxHeaderListPairs: 512,
      settings: { maxHeaderListSize: this.config.maxRequestHeadersKb * 1024 },
    });
    server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) =>
      this.#onRequest(req, res, true),
    );
    server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.goaway();
    });
    server.on('sessionError', () => this.stats.downstream_cx_protocol_error.inc());
    server.on('streamError', () => this.stats.downstream_rq_rx_reset.inc());
    server.setTimeout(this.config.idleTimeoutMs);
    this.#h2 = server;
    return server;
  }

  #onRequest(req: DownstreamRequest, res: DownstreamResponse, isH2: boolean): void {
    const stream = this.prepareStream(req, res, isH2);
    if (stream) this.#runFilters(stream, 0);
  }

  /**
   * Counts the request, reads its authority and path (absolute-form too), sanitises its headers and
   * resolves its route. Returns undefined when it was already answered (414).
   */
  prepareStream(
    req: DownstreamRequest,
    res: DownstreamResponse,
    isH2: boolean,
    tunnel = false,
  ): HttpStream | undefined {
    const stats = this.stats;
    stats.downstream_rq_total.inc();
    stats.downstream_rq_active.inc();
    (isH2 ? stats.downstream_rq_http2_total : stats.downstream_rq_http1_total).inc();
    const headers = req.headers as IncomingHttpHeaders;
    // Read before the pseudo headers are removed below (the h2 request reads :method from them).
    const method = req.method ?? 'GET';
    let authority: string;
    let path: string;
    let scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    if (isH2) {
      authority = (headers[':authority'] as string | undefined) ?? headers.host ?? '';
      path = (headers[':path'] as string | undefined) ?? '';
      scheme = (headers[':scheme'] as string | undefined) ?? scheme;
      delete headers[':authority'];
      delete headers[':path'];
      delete headers[':method'];
      delete headers[':scheme'];
      delete headers.host;
    } else {
      authority = headers.host ?? '';
      path = req.url ?? '/';
      if (path.charCodeAt(0) !== 47 && /^https?:\/\//i.test(path)) {
        // Absolute-form (a client using this listener as its HTTP proxy): the URL names the authority.
        const slash = path.indexOf('/', path.indexOf('//') + 2);
        const hostPart =
          slash < 0 ? path.slice(path.indexOf('//') + 2) : path.slice(path.indexOf('//') + 2, slash);
        scheme = path.slice(0, path.indexOf(':')).toLowerCase();
        authority = hostPart;
        path = slash < 0 ? '/' : path.slice(slash);
      }
    }
    const stream = new HttpStream(this, req, res, headers);
    const info = stream.info;
    info.method = method;
    info.protocol = isH2 ? 'HTTP/2' : `HTTP/${req.httpVersion}`;
    info.authority = authority;
    info.scheme = scheme;
    info.headers = headers;
    info.originalPath = path;
    const socket = req.socket;
    info.remoteAddress = socket.remoteAddress ?? '';
    info.remotePort = socket.remotePort ?? 0;
    info.localAddress = socket.localAddress ?? '';
    info.localPort = socket.localPort ?? 0;
    const sni = (socket as { servername?: string | false }).servername;
    if (sni) info.requestedServerName = sni;
    if (!tunnel) res.once('close', () => this.complete(stream));
    if (isH2) stream.hasBody = !(req as Http2ServerRequest).stream.endAfterHeaders;
    else {
      const length = headers['content-length'];
      stream.hasBody = headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    }
    if (stream.hasBody) {
      req.on('data', (chunk: Buffer) => {
        info.bytesReceived += chunk.length;
      });
      // The body waits (in the socket) until the router has an upstream for it, even across filter delays.
      req.pause();
    }
    if (path.length > MAX_URI_BYTES) {
      if (!isH2) (res as ServerResponse).shouldKeepAlive = false;
      stream.sendLocalReply(414, '', undefined, 'uri_too_long');
      return;
    }
    if (this.config.normalizePath || this.config.mergeSlashes)
      path = normalizePath(path, this.config.normalizePath, this.config.mergeSlashes);
    if (this.config.via) {
      const via = headers.via;
      headers.via = via ? `${via}, ${this.config.via}` : this.config.via;
    }
    // A tunnel's idle time is the spliced sockets' business, not that of its local reply.
    if (this.config.streamIdleTimeoutMs > 0 && !tunnel) {
      // No bytes either way for this long: 408 before the response started, a reset after.
      res.setTimeout(this.config.streamIdleTimeoutMs, () => {
        if (res.writableFinished) return;
        this.stats.downstream_rq_idle_timeout.inc();
        if (res.headersSent) {
          stream.info.setFlag('SI');
          res.destroy();
        } else stream.sendLocalReply(408, 'stream timeout', 'SI', 'stream_idle_timeout');
      });
    }
    stream.setPath(path);
    if (!isH2) {
      delete headers.host;
    }
    sanitizeRequest(this.config, this.#internal, headers, info.remoteAddress, scheme);
    const rid = headers['x-request-id'];
    info.requestId = typeof rid === 'string' ? rid : '';
    this.resolveRoute(stream);
    return stream;
  }

  /** (Re)computes the route of a request; filters that change headers may call it again. */
  resolveRoute(stream: HttpStream): void {
    const table =
      this.config.routeConfig ?? (this.config.rdsName ? this.env.routes(this.config.rdsName) : undefined);
    stream.table = table;
    stream.vhost = undefined;
    stream.route = undefined;
    if (!table) return;
    let authority = stream.info.authority.toLowerCase();
    if (this.config.stripMatchingHostPort && authority.endsWith(`:${this.listenerPort}`))
      authority = authority.slice(0, authority.lastIndexOf(':'));
    const vhost = selectVirtualHost(table, authority, this.config.stripAnyHostPort);
    stream.vhost = vhost;
    if (!vhost) return;
    stream.route = matchRoute(
      vhost,
      stream.info.method,
      stream.info.path,
      stream.pathOnly,
      stream.query,
      stream.headers,
    );
    if (stream.route) {
      stream.info.routeName = stream.route.name;
      stream.info.virtualHostName = vhost.name;
    }
  }

  #runFilters(stream: HttpStream, from: number): void {
    try {
      for (let i = from; i < this.#filters.length; i++) {
        const status = this.#filters[i]!.decodeHeaders(stream);
        if (status === 'stop') return;
        if (status !== 'continue') {
          status.then(
            (s) => {
              if (s === 'continue' && !stream.downstreamClosed) this.#runFilters(stream, i + 1);
            },
            (e: unknown) => this.#filterFailed(stream, e),
          );
          return;
        }
      }
    } catch (e) {
      this.#filterFailed(stream, e);
    }
  }

  #filterFailed(stream: HttpStream, e: unknown): void {
    this.env.log('error', `HTTP filter failed: ${(e as Error).stack ?? String(e)}`);
    stream.sendLocalReply(500, '', undefined, 'filter_error');
  }

  /** Server header, request id echo and drain-time `connection: close` on every response. */
  decorateResponse(
    stream: HttpStream,
    headers: Record<string, string | string[] | number | undefined>,
  ): void {
    const config = this.config;
    if (
      config.serverHeaderTransformation === 'OVERWRITE' ||
      (config.serverHeaderTransformation === 'APPEND_IF_ABSENT' && headers.server === undefined)
    )
      headers.server = config.serverName;
    if (config.alwaysSetRequestIdInResponse && stream.info.requestId)
      headers['x-request-id'] = stream.info.requestId;
    if (config.via) {
      const via = headers.via;
      headers.via =
        via === undefined
          ? config.via
          : `${Array.isArray(via) ? via.join(', ') : String(via)}, ${config.via}`;
    }
    if (stream.extraResponseHeaders)
      for (const [k, v] of stream.extraResponseHeaders) {
        const existing = headers[k];
        headers[k] =
          existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [String(existing), v];
      }
    if (this.#draining && stream.info.protocol !== 'HTTP/2') {
      headers.connection = 'close';
      this.stats.downstream_cx_drain_close.inc();
    }
    stream.info.responseHeaders = headers;
  }

  /** Ends a request's accounting: stats and access log. Tunnels call it when they close. */
  complete(stream: HttpStream, tunnelStatus?: number): void {
    const { info, res } = stream;
    this.stats.downstream_rq_active.dec();
    if (tunnelStatus !== undefined) {
      this.#finishInfo(stream, tunnelStatus);
      return;
    }
    // Whether the response was ended, not whether it was flushed: Node's HTTP/2 response says
    // writableFinished once its stream is gone, even when the client reset it before any answer.
    if (!res.writableEnded) {
      stream.downstreamClosed = true;
      stream.onDownstreamClose?.();
      if (!res.headersSent) info.setFlag('DC');
      this.stats.downstream_rq_rx_reset.inc();
    }
    this.#finishInfo(stream, res.headersSent ? res.statusCode : 0);
  }

  #finishInfo(stream: HttpStream, status: number): void {
    const info = stream.info;
    info.responseCode = status;
    if (status) countResponse(this.stats, status);
    this.stats.downstream_rq_completed.inc();
    info.durationMs = performance.now() - info.startMs;
    if (this.config.accessLogs.length) this.env.accessLogs.write(this.config.accessLogs, info);
  }

  /** Stops keep-alive reuse: each HTTP/1 connection closes after its next response, h2 gets GOAWAY. */
  drain(): void {
    this.#draining = true;
    this.#h1?.drain();
    for (const s of this.#sessions) if (!s.closed) s.goaway();
  }

  /** Cuts every remaining connection (end of a drain period). */
  close(): void {
    this.#draining = true;
    this.#h1?.close();
    for (const s of this.#sessions) s.destroy();
  }
}
