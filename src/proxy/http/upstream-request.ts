// One attempt of a request to one upstream host over the host's pool (HTTP/1.1 or HTTP/2): sends
// the headers and whatever body it is given, reports the response or how it failed, and can be
// cancelled (the upstream socket or stream is reset).
import http2 from 'node:http2';
import type { ClientHttp2Stream, IncomingHttpHeaders as H2Headers } from 'node:http2';
import { PassThrough } from 'node:stream';
import type { Host } from '../upstream/host.ts';
import { UpstreamProtocolError } from '../errors.ts';
import { ConnectTimeoutError } from '../upstream/pool.ts';
import type { ConnectionPool, Http1Controller, Http1Pool, Http1Ticket } from '../upstream/pool.ts';
import type { ResetReason } from './retry.ts';

const { HTTP2_HEADER_STATUS, NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_REFUSED_STREAM } =
  http2.constants;

export type Trailers = Record<string, string | string[]>;

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  /** HTTP/2 HEADERS with END_STREAM (gRPC trailers-only answers). */
  readonly headersOnly: boolean;
  /**
   * Delivers the body: each chunk to `onData` (which returns false to pause until `resume()`),
   * then the trailers (empty when there are none) to `onEnd`.
   */
  read(onData: (chunk: Buffer) => boolean, onEnd: (trailers: Trailers) => void): void;
  resume(): void;
}

/**
 * A response body as a callback source: chunks that arrive before `read` are kept, so a caller may
 * decide between retrying and relaying after the headers.
 */
class BodyRelay {
  #onData: ((chunk: Buffer) => boolean) | undefined;
  #onEnd: ((trailers: Trailers) => void) | undefined;
  #early: Buffer[] | undefined;
  #trailers: Trailers | undefined;
  readonly #pause: () => void;
  readonly resume: () => void;

  constructor(pause: () => void, resume: () => void) {
    this.#pause = pause;
    this.resume = resume;
  }

  read(onData: (chunk: Buffer) => boolean, onEnd: (trailers: Trailers) => void): void {
    this.#onData = onData;
    this.#onEnd = onEnd;
    const early = this.#early;
    this.#early = undefined;
    if (early) for (const c of early) if (!onData(c)) this.#pause();
    if (this.#trailers) onEnd(this.#trailers);
  }

  data(chunk: Buffer): void {
    const onData = this.#onData;
    if (!onData) (this.#early ??= []).push(chunk);
    else if (!onData(chunk)) this.#pause();
  }

  end(trailers: Trailers): void {
    if (this.#onEnd) this.#onEnd(trailers);
    else this.#trailers = trailers;
  }
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
  /** Owned by the attempt, which may change it. */
  readonly headers: Record<string, string | string[] | undefined>;
  /** Whether a body follows the headers (else the upstream request ends with them). */
  readonly hasBody: boolean;
}

function resetReason(error: NodeJS.ErrnoException, connected: boolean): ResetReason {
  if (error instanceof ConnectTimeoutError) return 'connect-timeout';
  if (error instanceof UpstreamProtocolError) return 'protocol-error';
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
  /** HTTP/1.1: the pool's handle of the request, and the pipe its body goes through. */
  #ticket: Http1Ticket | undefined;
  #h1Body: PassThrough | null = null;
  /** HTTP/2: the stream. */
  #h2: ClientHttp2Stream | undefined;

  constructor(pool: ConnectionPool, host: Host, request: AttemptRequest, callbacks: AttemptCallbacks) {
    this.host = host;
    this.#callbacks = callbacks;
    if (pool.kind === 'h2') this.#startH2(pool.session.bind(pool), request);
    else this.#startH1(pool, request);
  }

  get sink(): NodeJS.WritableStream | undefined {
    return this.#done ? undefined : this.#sink;
  }

  /** Resets the upstream request; no callback fires afterwards. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#h2) this.#h2.close(NGHTTP2_CANCEL);
    else {
      this.#ticket?.cancel();
      this.#h1Body?.destroy();
    }
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

  #startH1(pool: Http1Pool, request: AttemptRequest): void {
    const body = request.hasBody ? new PassThrough() : null;
    this.#sink = body ?? undefined;
    this.#h1Body = body;
    let relay: BodyRelay | undefined;
    // The attempt owns its copy of the headers.
    const headers = request.headers;
    headers.host = request.authority;
    this.#ticket = pool.request(
      { method: request.method, path: request.path, headers, body },
      {
        onStart: (socket) => this.#connectedNow(socket),
        onResponse: (status, headers, controller: Http1Controller) => {
          relay = new BodyRelay(
            () => controller.pause(),
            () => controller.resume(),
          );
          const r = relay;
          this.#respond({
            status,
            headers,
            headersOnly: false,
            read: (onData, onEnd) => r.read(onData, onEnd),
            resume: r.resume,
          });
        },
        onData: (chunk) => relay?.data(chunk),
        onEnd: (trailers) => relay?.end(trailers),
        onError: (e) => this.#fail(e as NodeJS.ErrnoException),
      },
    );
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
    this.#h2 = upstream;
    const trailerHeaders: Trailers = {};
    upstream.on('trailers', (t: H2Headers) => {
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
        headersOnly: (flags & NGHTTP2_FLAG_END_STREAM) !== 0,
        read: (onData, onEnd) => {
          upstream.on('data', (chunk: Buffer) => {
            if (!onData(chunk)) upstream.pause();
          });
          upstream.once('end', () => {
            // A RST_STREAM with CANCEL ends the body as END_STREAM would; its code says it was cut short.
            if (upstream.rstCode)
              this.#fail(
                Object.assign(new Error(`stream reset with code ${upstream.rstCode}`), {
                  code: 'ERR_HTTP2_STREAM_ERROR',
                }),
                'remote-reset',
              );
            else onEnd(trailerHeaders);
          });
        },
        resume: () => upstream.resume(),
      });
    });
    upstream.on('error', (e) => this.#fail(e, refused(upstream) ? 'refused-stream' : undefined));
    // A stream that closes before the end of its response failed, even when nothing raised an error
    // (a reset with CANCEL or NO_ERROR does not): the router must hear of it, or the request hangs.
    upstream.on('close', () => {
      this.#fail(
        Object.assign(new Error('stream closed'), { code: 'ERR_HTTP2_STREAM_ERROR' }),
        refused(upstream) ? 'refused-stream' : undefined,
      );
    });
  }
}
