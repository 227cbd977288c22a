// One attempt of a request to one upstream host over the host's pool (HTTP/1.1 or HTTP/2): sends
// the headers and whatever body it is given, reports the response or how it failed, and can be
// cancelled (the upstream socket or stream is reset).
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { ClientHttp2Stream, IncomingHttpHeaders as H2Headers } from 'node:http2';
import type { Cluster } from '../upstream/cluster.ts';
import type { Host } from '../upstream/host.ts';
import { ConnectTimeoutError, isReady, readyEvent } from '../upstream/pool.ts';
import type { ConnectionPool } from '../upstream/pool.ts';
import type { ResetReason } from './retry.ts';

const { HTTP2_HEADER_STATUS, NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_REFUSED_STREAM } =
  http2.constants;

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: NodeJS.ReadableStream;
  trailers(): Promise<Record<string, string> | undefined>;
  /** HTTP/2 HEADERS with END_STREAM (gRPC trailers-only answers). */
  readonly headersOnly: boolean;
}

export interface AttemptCallbacks {
  /** The connection to the host is established (before any response); `local` is our address on it. */
  onConnected(local: string): void;
  onResponse(response: UpstreamResponse): void;
  /** Failed before response headers. */
  onReset(reason: ResetReason, error: NodeJS.ErrnoException): void;
  /** Failed after response headers (the body broke off). */
  onBodyError(error: NodeJS.ErrnoException): void;
}

export interface AttemptRequest {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

function resetReason(error: NodeJS.ErrnoException, connected: boolean): ResetReason {
  if (error instanceof ConnectTimeoutError) return 'connect-timeout';
  if (error.code?.startsWith('HPE_')) return 'protocol-error';
  if (!connected) return 'connect-failure';
  if (error.message.includes('NGHTTP2_REFUSED_STREAM')) return 'refused-stream';
  if (error.code === 'ERR_HTTP2_STREAM_ERROR' || error.code === 'ERR_HTTP2_STREAM_CANCEL')
    return 'remote-reset';
  return 'termination';
}

/** Whether the error means the peer reset the HTTP/2 stream with REFUSED_STREAM. */
function refused(stream: ClientHttp2Stream): boolean {
  return stream.rstCode === NGHTTP2_REFUSED_STREAM;
}

export class UpstreamAttempt {
  readonly host: Host;
  readonly #callbacks: AttemptCallbacks;
  #connected = false;
  #responded = false;
  #done = false;
  #sink: NodeJS.WritableStream | undefined;
  #cancel: () => void = () => {};

  constructor(
    cluster: Cluster,
    pool: ConnectionPool,
    host: Host,
    request: AttemptRequest,
    callbacks: AttemptCallbacks,
  ) {
    this.host = host;
    this.#callbacks = callbacks;
    if (pool.kind === 'h2') this.#startH2(pool.session.bind(pool), request);
    else this.#startH1(cluster, pool.agent, request);
  }

  get sink(): NodeJS.WritableStream | undefined {
    return this.#done ? undefined : this.#sink;
  }

  /** Resets the upstream request; no callback fires afterwards. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#cancel();
  }

  #connectedNow(
    socket: { localAddress?: string | undefined; localPort?: number | undefined } | undefined,
  ): void {
    if (this.#connected) return;
    this.#connected = true;
    const local = socket?.localAddress ? `${socket.localAddress}:${socket.localPort ?? 0}` : '';
    if (!this.#done) this.#callbacks.onConnected(local);
  }

  #fail(error: NodeJS.ErrnoException, reason?: ResetReason): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#responded) this.#callbacks.onBodyError(error);
    else this.#callbacks.onReset(reason ?? resetReason(error, this.#connected), error);
  }

  #respond(response: UpstreamResponse): void {
    if (this.#done) return;
    this.#responded = true;
    this.#callbacks.onResponse(response);
  }

  /** The response body ended: the attempt is over (further socket events are not failures). */
  finished(): void {
    this.#done = true;
  }

  #startH1(cluster: Cluster, agent: http.Agent, request: AttemptRequest): void {
    const upstream = http.request({
      agent,
      method: request.method,
      path: request.path,
      headers: { ...request.headers, host: request.authority },
      setHost: false,
    });
    this.#sink = upstream;
    this.#cancel = () => upstream.destroy();
    upstream.on('socket', (socket) => {
      if (isReady(socket)) this.#connectedNow(socket);
      else socket.once(readyEvent(socket), () => this.#connectedNow(socket));
      const limit = cluster.config.maxRequestsPerConnection;
      if (limit) {
        // Envoy's max_requests_per_connection: the connection closes after its Nth request.
        const s = socket as typeof socket & { caravelRequests?: number };
        s.caravelRequests = (s.caravelRequests ?? 0) + 1;
        if (s.caravelRequests >= limit) upstream.shouldKeepAlive = false;
      }
    });
    upstream.on('response', (res: IncomingMessage) => {
      res.on('error', (e) => this.#fail(e));
      res.on('aborted', () =>
        this.#fail(Object.assign(new Error('upstream aborted'), { code: 'ECONNRESET' })),
      );
      this.#respond({
        status: res.statusCode ?? 502,
        headers: { ...res.headers },
        body: res,
        trailers: async () =>
          Object.keys(res.trailers).length ? (res.trailers as Record<string, string>) : undefined,
        headersOnly: false,
      });
    });
    upstream.on('error', (e) => this.#fail(e));
  }

  #startH2(session: () => http2.ClientHttp2Session, request: AttemptRequest): void {
    const h2headers: Record<string, unknown> = { ...request.headers };
    delete h2headers.te;
    if (request.headers.te === 'trailers') h2headers.te = 'trailers';
    h2headers[':method'] = request.method;
    h2headers[':path'] = request.path;
    h2headers[':authority'] = request.authority;
    h2headers[':scheme'] = 'http';
    let upstream: ClientHttp2Stream;
    try {
      const s = session();
      upstream = s.request(h2headers as http2.OutgoingHttpHeaders);
      if (!s.connecting) queueMicrotask(() => this.#connectedNow(s.socket));
      else s.once('connect', () => this.#connectedNow(s.socket));
    } catch (e) {
      queueMicrotask(() => this.#fail(e as NodeJS.ErrnoException));
      return;
    }
    this.#sink = upstream;
    this.#cancel = () => upstream.close(NGHTTP2_CANCEL);
    let trailerHeaders: Record<string, string> | undefined;
    upstream.on('trailers', (t: H2Headers) => {
      trailerHeaders = {};
      for (const [k, v] of Object.entries(t))
        if (!k.startsWith(':') && v !== undefined)
          trailerHeaders[k] = Array.isArray(v) ? v.join(',') : String(v);
    });
    upstream.on('response', (h: H2Headers, flags: number) => {
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(h)) if (!k.startsWith(':')) rest[k] = v;
      this.#respond({
        status: Number(h[HTTP2_HEADER_STATUS]),
        headers: rest,
        body: upstream,
        trailers: async () => trailerHeaders,
        headersOnly: (flags & NGHTTP2_FLAG_END_STREAM) !== 0,
      });
    });
    upstream.on('error', (e) => this.#fail(e, refused(upstream) ? 'refused-stream' : undefined));
    upstream.on('close', () => {
      if (this.#responded) return;
      this.#fail(
        Object.assign(new Error('stream closed'), { code: 'ERR_HTTP2_STREAM_ERROR' }),
        refused(upstream) ? 'refused-stream' : undefined,
      );
    });
  }
}
