// The router's upstream stage: circuit breaking, the route timeout and per-try timeout, retries with
// Envoy's back-off and host predicate, outlier reporting, request mirroring, and the mapping of
// upstream failures to Envoy's local replies and response flags.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { ServerResponse } from '../http1/index.ts';
import type { RouteAction } from '../router/route-config.ts';
import type { HeaderMap } from '../router/headers.ts';
import { admitRequest, admitRetry } from '../upstream/admission.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { Host } from '../upstream/host.ts';
import { endToEndHeaders } from './edge.ts';
import { RequestBody, sendMirrors } from './mirror.ts';
import { RetryState } from './retry.ts';
import type { ResetReason } from './retry.ts';
import type { HttpStream } from './stream.ts';
import { UpstreamAttempt } from './upstream-request.ts';
import type { UpstreamResponse } from './upstream-request.ts';

/** Envoy's local reply bodies. */
export const UPSTREAM_TIMEOUT = 'upstream request timeout';
export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';
const RESET_PREFIX = 'upstream connect error or disconnect/reset before headers. reset reason: ';
/** Envoy's default per-connection buffer limit, which bounds the request body kept for retries. */
const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

/** What the router decided before sending upstream. */
export interface ForwardTarget {
  readonly cluster: Cluster;
  readonly host: Host;
  readonly authority: string;
  readonly path: string;
  readonly hash: number | undefined;
  /** Response header mutations (weighted cluster, route, virtual host, table). */
  readonly decorate: (headers: HeaderMap) => void;
}

/**
 * Request headers that do not travel upstream: those that steer this proxy's router, and Expect,
 * since the connection manager already answered `100-continue` itself, as Envoy does by default.
 */
const NOT_FORWARDED = new Set([
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-max-retries',
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-retriable-status-codes',
  'expect',
]);

function headerMs(value: string | string[] | undefined): number | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

const GRPC_UNITS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** The route timeout of a request: gRPC's grpc-timeout when the route reads it, else the route's. */
function routeTimeout(action: RouteAction, headers: Record<string, string | string[] | undefined>): number {
  const max = action.grpcTimeoutMaxMs;
  const type = headers['content-type'];
  if (max === undefined || typeof type !== 'string' || !type.startsWith('application/grpc'))
    return action.timeoutMs;
  const m = /^(\d{1,8})([HMSmun])$/.exec(String(headers['grpc-timeout'] ?? ''));
  // No header: no deadline (0), up to the cap.
  const asked = m ? Math.max(1, Math.ceil(Number(m[1]) * GRPC_UNITS[m[2]!]!)) : 0;
  if (max === 0) return asked;
  return asked === 0 ? max : Math.min(asked, max);
}

function failureReply(stream: HttpStream, reason: ResetReason | 'overflow', error?: Error): void {
  switch (reason) {
    case 'overflow':
      return stream.sendLocalReply(
        503,
        `${RESET_PREFIX}overflow`,
        'UO',
        'upstream_reset_before_response_started{overflow}',
      );
    case 'per-try-timeout':
      return stream.sendLocalReply(504, UPSTREAM_TIMEOUT, 'UT', 'upstream_per_try_timeout');
    case 'connect-timeout':
      return stream.sendLocalReply(
        503,
        `${RESET_PREFIX}connection timeout`,
        'UF',
        'upstream_reset_before_response_started{connection_timeout}',
      );
    case 'protocol-error':
      return stream.sendLocalReply(
        503,
        `${RESET_PREFIX}protocol error`,
        'UPE',
        'upstream_reset_before_response_started{protocol_error}',
      );
    case 'connect-failure': {
      const errno = (error as NodeJS.ErrnoException | undefined)?.errno;
      const why = errno ? `delayed connect error: ${-errno}` : (error?.message ?? 'connection failure');
      stream.info.upstreamTransportFailureReason = why;
      return stream.sendLocalReply(
        503,
        `${RESET_PREFIX}connection failure, transport failure reason: ${why}`,
        'UF',
        'upstream_reset_before_response_started{connection_failure}',
      );
    }
    case 'refused-stream':
    case 'remote-reset':
      return stream.sendLocalReply(
        503,
        `${RESET_PREFIX}remote reset`,
        'UR',
        'upstream_reset_before_response_started{remote_reset}',
      );
    case 'termination':
      return stream.sendLocalReply(
        503,
        `${RESET_PREFIX}connection termination`,
        'UC',
        'upstream_reset_before_response_started{connection_termination}',
      );
  }
}

/** Sends the request upstream (retrying as the policy allows) and streams the response back. */
export function forward(stream: HttpStream, target: ForwardTarget, action: RouteAction): void {
  const { cluster } = target;
  const cstats = cluster.stats;
  const info = stream.info;
  const vhost = stream.vhost;
  const retry = new RetryState(action.retryPolicy ?? vhost?.retryPolicy, stream.headers);
  // The connection manager already removed x-envoy-* headers of untrusted callers.
  const received = stream.headers;
  const timeoutMs = headerMs(received['x-envoy-upstream-rq-timeout-ms']) ?? routeTimeout(action, received);
  let perTryMs = retry.policy.perTryTimeoutMs;
  const perTryHeader = headerMs(received['x-envoy-upstream-rq-per-try-timeout-ms']);
  if (perTryHeader !== undefined && (timeoutMs === 0 || perTryHeader < timeoutMs)) perTryMs = perTryHeader;
  if (timeoutMs > 0 && perTryMs >= timeoutMs) perTryMs = 0;
  // What goes upstream, copied once (each attempt copies it again for its own changes).
  const headers: HeaderMap = endToEndHeaders(received, NOT_FORWARDED);
  if (timeoutMs > 0 || perTryMs > 0)
    headers['x-envoy-expected-rq-timeout-ms'] = String(perTryMs || timeoutMs);

  const body = new RequestBody(stream.req, stream.hasBody, vhost?.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT);
  if (action.requestMirrorPolicies.length)
    sendMirrors(stream, action.requestMirrorPolicies, target, headers, body);

  const started = performance.now();
  const tried = new Set<Host>();
  let attempt: UpstreamAttempt | undefined;
  let perTryTimer: NodeJS.Timeout | undefined;
  let backOffTimer: NodeJS.Timeout | undefined;
  let globalTimer: NodeJS.Timeout | undefined;
  let releaseRetry: (() => void) | undefined;
  let over = false;
  let inFlight: (() => void) | undefined;

  const end = () => {
    over = true;
    clearTimeout(perTryTimer);
    clearTimeout(backOffTimer);
    clearTimeout(globalTimer);
    releaseRetry?.();
    body.detach();
  };
  /** Ends the accounting of the current attempt (active request, pending, host counters). */
  const settle = () => {
    clearTimeout(perTryTimer);
    inFlight?.();
    inFlight = undefined;
  };

  const tryRetry = (): boolean => {
    if (!retry.enabled || body.overflowed || stream.responded) return false;
    if (!retry.take()) {
      cstats.upstream_rq_retry_limit_exceeded.inc();
      info.setFlag('URX');
      return false;
    }
    releaseRetry?.();
    releaseRetry = admitRetry(cluster);
    if (!releaseRetry) {
      info.setFlag('UO');
      return false;
    }
    cstats.upstream_rq_retry.inc();
    cstats.upstream_rq_retry_backoff_exponential.inc();
    body.detach();
    backOffTimer = setTimeout(() => {
      const host = retryHost();
      if (!host) {
        end();
        cstats.upstream_cx_none_healthy.inc();
        stream.sendLocalReply(503, NO_HEALTHY_UPSTREAM, 'UH', 'no_healthy_upstream');
        return;
      }
      start(host);
    }, retry.backOffMs());
    return true;
  };

  /** Envoy's previous_hosts predicate: pick again (up to host_selection_retry_max_attempts) to avoid tried hosts. */
  const retryHost = (): Host | undefined => {
    // An original-destination cluster has one host for the request: the destination itself.
    if (cluster.config.type === 'ORIGINAL_DST') return target.host;
    let host = cluster.chooseHost(target.hash);
    if (!retry.policy.previousHosts) return host;
    for (let i = 1; i < retry.policy.hostSelectionMaxAttempts && host && tried.has(host); i++)
      host = cluster.chooseHost(target.hash);
    return host;
  };

  const onReset = (host: Host, reason: ResetReason, error?: Error) => {
    settle();
    host.rqError++;
    if (reason === 'per-try-timeout') {
      host.rqTimeout++;
      cstats.upstream_rq_per_try_timeout.inc();
    }
    if (reason === 'refused-stream' || reason === 'remote-reset') cstats.upstream_rq_rx_reset.inc();
    // The request was still pending on the connection that failed.
    if (reason === 'connect-failure' || reason === 'connect-timeout')
      cstats.upstream_rq_pending_failure_eject.inc();
    cluster.outlier?.report(host, {
      kind:
        reason === 'per-try-timeout' ? 'timeout' : reason.startsWith('connect') ? 'connect-failure' : 'reset',
    });
    if (stream.downstreamClosed) return end();
    if (retry.retriableReset(reason) && tryRetry()) return;
    end();
    failureReply(stream, reason, error);
  };

  const onResponse = (a: UpstreamAttempt, host: Host, response: UpstreamResponse) => {
    const { status } = response;
    cstats.code(status);
    if (status < 500) host.rqSuccess++;
    else host.rqError++;
    cluster.outlier?.report(host, { kind: 'status', status });
    if (retry.enabled && retry.retriableResponse(status, response.headers) && tryRetry()) {
      settle();
      a.cancel();
      return;
    }
    if (retry.retries > 0 && !info.hasFlag('URX')) cstats.upstream_rq_retry_success.inc();
    respond(a, response);
  };

  const respond = (a: UpstreamAttempt, response: UpstreamResponse) => {
    const res = stream.res;
    info.upstreamServiceTimeMs = performance.now() - started;
    const out: HeaderMap = endToEndHeaders(response.headers as HeaderMap);
    out['x-envoy-upstream-service-time'] = String(Math.round(info.upstreamServiceTimeMs));
    if (vhost?.includeAttemptCountInResponse) out['x-envoy-attempt-count'] = String(info.attemptCount);
    target.decorate(out);
    stream.hcm.decorateResponse(stream, out);
    if (response.headersOnly && info.protocol === 'HTTP/2') {
      // A trailers-only answer (gRPC errors) must stay one HEADERS frame with END_STREAM.
      settle();
      end();
      a.finished();
      (res as Http2ServerResponse).stream.respond(
        { ...(out as OutgoingHttpHeaders), ':status': response.status },
        { endStream: true },
      );
      return;
    }
    stream.writeHead(response.status, out as OutgoingHttpHeaders);
    const downstream = res as ServerResponse;
    response.read(
      (chunk) => {
        info.bytesSent += chunk.length;
        if (downstream.write(chunk)) return true;
        downstream.once('drain', response.resume);
        return false;
      },
      (trailers) => {
        a.finished();
        settle();
        end();
        for (const _ in trailers) {
          res.addTrailers(trailers as OutgoingHttpHeaders);
          break;
        }
        res.end();
      },
    );
  };

  const start = (host: Host) => {
    if (over) return;
    tried.add(host);
    info.upstreamHost = host.address;
    info.attemptCount++;
    if (vhost?.includeRequestAttemptCount) headers['x-envoy-attempt-count'] = String(info.attemptCount);
    const pool = cluster.pool(host);
    const admission = admitRequest(cluster, pool);
    if (!admission) {
      end();
      failureReply(stream, 'overflow');
      return;
    }
    cstats.upstream_rq_total.inc();
    host.rqTotal++;
    host.activeRequests++;
    inFlight = () => {
      admission.release();
      cstats.upstream_rq_completed.inc();
      host.activeRequests--;
    };
    const a: UpstreamAttempt = new UpstreamAttempt(
      pool,
      host,
      {
        method: info.method,
        path: target.path,
        authority: target.authority,
        headers: { ...headers },
        hasBody: stream.hasBody,
      },
      {
        onConnected: (local) => {
          info.upstreamLocalAddress = local;
          admission.ready();
          cluster.outlier?.report(host, { kind: 'connect-success' });
        },
        onResponse: (r) => onResponse(a, host, r),
        onReset: (reason, error) => onReset(host, reason, error),
        onBodyError: () => {
          settle();
          end();
          if (!stream.downstreamClosed) {
            info.setFlag('UC');
            stream.res.destroy();
          }
        },
      },
    );
    attempt = a;
    if (perTryMs > 0)
      perTryTimer = setTimeout(() => {
        // As Envoy: once the response started downstream only the route timeout applies.
        if (stream.res.headersSent) return;
        a.cancel();
        onReset(host, 'per-try-timeout');
      }, perTryMs);
    body.attach(a.sink);
  };

  const onDownstreamClose = () => {
    if (over) return;
    attempt?.cancel();
    settle();
    end();
    cstats.upstream_rq_cancelled.inc();
  };
  stream.onDownstreamClose = onDownstreamClose;
  if (timeoutMs > 0)
    globalTimer = setTimeout(() => {
      if (over) return;
      const a = attempt;
      a?.cancel();
      const wasInFlight = inFlight !== undefined;
      settle();
      end();
      cstats.upstream_rq_timeout.inc();
      if (a && wasInFlight) {
        a.host.rqTimeout++;
        cluster.outlier?.report(a.host, { kind: 'timeout' });
      }
      if (stream.res.headersSent) {
        info.setFlag('UT');
        stream.res.destroy();
      } else stream.sendLocalReply(504, UPSTREAM_TIMEOUT, 'UT', 'upstream_response_timeout');
    }, timeoutMs);
  start(target.host);
}
