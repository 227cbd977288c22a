// The router filter (terminal): route action → cluster → load balancer → connection pool →
// upstream request; maps upstream failures to Envoy's local replies and response flags.
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { ClientHttp2Stream, Http2ServerResponse, IncomingHttpHeaders as H2Headers } from 'node:http2';
import { ROUTER_TYPE } from '../../envoy/index.ts';
import type { DirectAction, RedirectAction, RouteAction, WeightedCluster } from '../router/route-config.ts';
import { applyMutation } from '../router/headers.ts';
import type { HeaderMap } from '../router/headers.ts';
import type { Cluster } from '../upstream/cluster.ts';
import { requestHash } from '../upstream/hash-policy.ts';
import type { Host } from '../upstream/host.ts';
import { ConnectTimeoutError, isReady, readyEvent } from '../upstream/pool.ts';
import type { FilterStatus, HttpFilter, HttpFilterFactory } from './filters/registry.ts';
import { stripHopByHop } from './edge.ts';
import type { HttpStream } from './stream.ts';

const { HTTP2_HEADER_STATUS } = http2.constants;

/** Envoy's local reply bodies. */
export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';
export const UPSTREAM_TIMEOUT = 'upstream request timeout';
const RESET_PREFIX = 'upstream connect error or disconnect/reset before headers. reset reason: ';

/** The cluster a route action names for this request (weighted choice, or from a header). */
export function pickCluster(
  action: RouteAction,
  headers: IncomingHttpHeaders,
): { name: string | undefined; weighted?: WeightedCluster } {
  if (action.weighted) {
    let x = Math.floor(Math.random() * action.weighted.total);
    for (const c of action.weighted.clusters) {
      if (x < c.weight) return { name: c.name, weighted: c };
      x -= c.weight;
    }
    const last = action.weighted.clusters.at(-1)!;
    return { name: last.name, weighted: last };
  }
  if (action.clusterHeader) {
    const v = headers[action.clusterHeader];
    return { name: Array.isArray(v) ? v[0] : v };
  }
  return { name: action.cluster };
}

function rewritePath(action: RouteAction | RedirectAction, stream: HttpStream): string | undefined {
  const route = stream.route!;
  if (
    action.prefixRewrite !== undefined &&
    (route.match.kind === 'prefix' || route.match.kind === 'path' || route.match.kind === 'separated')
  ) {
    const matched = route.match.value.length;
    return action.prefixRewrite + stream.info.path.slice(matched);
  }
  if (action.regexRewrite) {
    const rewritten = action.regexRewrite.re.replace(stream.pathOnly, action.regexRewrite.substitution);
    return stream.query ? `${rewritten}?${stream.query}` : rewritten;
  }
  return undefined;
}

function redirect(stream: HttpStream, a: RedirectAction): void {
  const info = stream.info;
  let host = a.host ?? info.authority;
  const scheme = a.scheme ?? info.scheme;
  if (a.port !== undefined) host = `${host.replace(/:\d+$/, '')}:${a.port}`;
  else if (a.scheme && a.scheme !== info.scheme) host = host.replace(/:\d+$/, '');
  let path = a.path ?? rewritePath(a, stream) ?? info.path;
  if (a.path !== undefined && !a.path.includes('?') && stream.query && !a.stripQuery)
    path = `${a.path}?${stream.query}`;
  if (a.stripQuery) path = path.split('?')[0]!;
  stream.hcm.stats.rq_redirect.inc();
  const headers: Record<string, string> = { location: `${scheme}://${host}${path}`, 'content-length': '0' };
  applyRouteResponseHeaders(stream, headers, undefined);
  stream.hcm.decorateResponse(stream, headers);
  stream.writeHead(a.status, headers);
  stream.res.end();
}

function direct(stream: HttpStream, a: DirectAction): void {
  stream.hcm.stats.rq_direct_response.inc();
  const headers: Record<string, string> = {
    'content-length': String(a.body ? Buffer.byteLength(a.body) : 0),
  };
  if (a.body) headers['content-type'] = 'text/plain';
  applyRouteResponseHeaders(stream, headers, undefined);
  stream.hcm.decorateResponse(stream, headers);
  stream.writeHead(a.status, headers);
  stream.info.bytesSent += a.body ? Buffer.byteLength(a.body) : 0;
  stream.res.end(a.body ?? '');
}

/** Response header mutations: weighted cluster, route, virtual host, route table (Envoy's order). */
function applyRouteResponseHeaders(
  stream: HttpStream,
  headers: HeaderMap,
  weighted: WeightedCluster | undefined,
): void {
  const info = stream.info;
  if (weighted) applyMutation(weighted.responseHeaders, headers, info);
  if (stream.route) applyMutation(stream.route.responseHeaders, headers, info);
  if (stream.vhost) applyMutation(stream.vhost.responseHeaders, headers, info);
  if (stream.table) applyMutation(stream.table.responseHeaders, headers, info);
}

function applyRouteRequestHeaders(stream: HttpStream, weighted: WeightedCluster | undefined): void {
  const headers = stream.headers as HeaderMap;
  const info = stream.info;
  if (weighted) applyMutation(weighted.requestHeaders, headers, info);
  if (stream.route) applyMutation(stream.route.requestHeaders, headers, info);
  if (stream.vhost) applyMutation(stream.vhost.requestHeaders, headers, info);
  if (stream.table) applyMutation(stream.table.requestHeaders, headers, info);
}

/** Everything the router decided before sending upstream. */
export interface UpstreamTarget {
  readonly cluster: Cluster;
  readonly host: Host;
  readonly authority: string;
  readonly path: string;
  readonly weighted: WeightedCluster | undefined;
}

/** Route → cluster → host, or a local reply (404 NR, 503 NC/UH). Shared with tunnels. */
export function selectUpstream(stream: HttpStream): UpstreamTarget | undefined {
  const route = stream.route;
  const stats = stream.hcm.stats;
  if (!route) {
    stats.no_route.inc();
    stream.sendLocalReply(404, '', 'NR', 'route_not_found');
    return undefined;
  }
  const action = route.action;
  if (action.kind === 'redirect') {
    redirect(stream, action);
    return undefined;
  }
  if (action.kind === 'direct') {
    direct(stream, action);
    return undefined;
  }
  const { name, weighted } = pickCluster(action, stream.headers);
  const cluster = name === undefined ? undefined : stream.hcm.env.clusters.get(name);
  if (!cluster) {
    stats.no_cluster.inc();
    stream.sendLocalReply(503, '', 'NC', 'cluster_not_found');
    return undefined;
  }
  const info = stream.info;
  info.upstreamCluster = cluster.config.name;
  const hash = action.hashPolicies.length
    ? requestHash(
        action.hashPolicies,
        { headers: stream.headers, remoteAddress: info.remoteAddress, query: stream.query },
        (cookie) => (stream.extraResponseHeaders ??= []).push(['set-cookie', cookie]),
      )
    : undefined;
  const originalDst =
    cluster.config.type === 'ORIGINAL_DST' ? originalDestination(stream, cluster) : undefined;
  const host = cluster.chooseHost(hash, originalDst);
  if (!host) {
    cluster.stats.upstream_cx_none_healthy.inc();
    stream.sendLocalReply(503, NO_HEALTHY_UPSTREAM, 'UH', 'no_healthy_upstream');
    return undefined;
  }
  info.upstreamHost = host.address;
  let authority = info.authority;
  const hostRewrite = weighted?.hostRewrite ?? action.hostRewriteLiteral;
  if (hostRewrite) authority = hostRewrite;
  else if (action.hostRewriteHeader) {
    const v = stream.headers[action.hostRewriteHeader];
    if (typeof v === 'string' && v) authority = v;
  } else if (action.autoHostRewrite) authority = host.hostname || host.address;
  const path = rewritePath(action, stream) ?? info.path;
  if (path !== info.path) stream.headers['x-envoy-original-path'] = info.path;
  return { cluster, host, authority, path, weighted };
}

function originalDestination(stream: HttpStream, cluster: Cluster): string {
  if (cluster.config.useHttpHeaderForOriginalDst) {
    const h = stream.headers['x-envoy-original-dst-host'];
    if (typeof h === 'string' && h) return h;
  }
  const authority = stream.info.authority;
  return /:\d+$/.test(authority) ? authority : `${authority}:${stream.info.scheme === 'https' ? 443 : 80}`;
}

function failureReply(
  stream: HttpStream,
  target: UpstreamTarget,
  error: NodeJS.ErrnoException,
  connected: boolean,
): void {
  const host = target.host;
  host.rqError++;
  if (error instanceof ConnectTimeoutError) {
    stream.sendLocalReply(
      503,
      `${RESET_PREFIX}connection timeout`,
      'UF',
      'upstream_reset_before_response_started{connection_timeout}',
    );
  } else if (error.code?.startsWith('HPE_')) {
    // The upstream answered with something that is not HTTP (Envoy's upstream codec error).
    stream.sendLocalReply(
      503,
      `${RESET_PREFIX}protocol error`,
      'UPE',
      'upstream_reset_before_response_started{protocol_error}',
    );
  } else if (!connected) {
    const reason = error.errno ? `delayed connect error: ${-error.errno}` : error.message;
    stream.sendLocalReply(
      503,
      `${RESET_PREFIX}connection failure, transport failure reason: ${reason}`,
      'UF',
      'upstream_reset_before_response_started{connection_failure}',
    );
  } else if (error.code === 'ERR_HTTP2_STREAM_ERROR' || error.code === 'ERR_HTTP2_STREAM_CANCEL') {
    target.cluster.stats.upstream_rq_rx_reset.inc();
    stream.sendLocalReply(
      503,
      `${RESET_PREFIX}remote reset`,
      'UR',
      'upstream_reset_before_response_started{remote_reset}',
    );
  } else {
    stream.sendLocalReply(
      503,
      `${RESET_PREFIX}connection termination`,
      'UC',
      'upstream_reset_before_response_started{connection_termination}',
    );
  }
}

/** Forwards the request to the chosen host and streams the response back. */
function forward(stream: HttpStream, target: UpstreamTarget, action: RouteAction): void {
  const { cluster, host } = target;
  const cstats = cluster.stats;
  const info = stream.info;
  const headers = stream.headers;
  stripHopByHop(headers);
  applyRouteRequestHeaders(stream, target.weighted);
  cstats.upstream_rq_total.inc();
  cstats.upstream_rq_active.inc();
  host.rqTotal++;
  host.activeRequests++;
  const started = performance.now();
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  let abort: (error?: Error) => void = () => {};
  let connected = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    cstats.upstream_rq_active.dec();
    cstats.upstream_rq_completed.inc();
    host.activeRequests--;
  };
  const onError = (error: NodeJS.ErrnoException) => {
    if (done) return;
    finish();
    if (stream.downstreamClosed) return;
    if (stream.res.headersSent) {
      // The response already started: the only honest signal left is a reset downstream.
      info.setFlag(connected ? 'UC' : 'UF');
      stream.res.destroy();
      return;
    }
    failureReply(stream, target, error, connected);
  };
  const onResponse = (
    status: number,
    upstreamHeaders: Record<string, unknown>,
    body: NodeJS.ReadableStream,
    trailers: () => Promise<Record<string, string> | undefined>,
    headersOnly = false,
  ) => {
    const res = stream.res;
    info.upstreamServiceTimeMs = performance.now() - started;
    cstats.code(status);
    if (status < 500) host.rqSuccess++;
    else host.rqError++;
    stripHopByHop(upstreamHeaders);
    const out = upstreamHeaders as HeaderMap;
    out['x-envoy-upstream-service-time'] = String(Math.round(info.upstreamServiceTimeMs));
    applyRouteResponseHeaders(stream, out, target.weighted);
    stream.hcm.decorateResponse(stream, out);
    if (headersOnly && info.protocol === 'HTTP/2') {
      // A trailers-only answer (gRPC errors) must stay one HEADERS frame with END_STREAM.
      finish();
      (res as Http2ServerResponse).stream.respond(
        { ...(out as OutgoingHttpHeaders), ':status': status },
        { endStream: true },
      );
      return;
    }
    stream.writeHead(status, out as OutgoingHttpHeaders);
    body.on('data', (chunk: Buffer) => {
      info.bytesSent += chunk.length;
      if (!(res as ServerResponse).write(chunk)) {
        (body as NodeJS.ReadableStream).pause();
        res.once('drain', () => body.resume());
      }
    });
    body.once('end', () => {
      void trailers().then((t) => {
        finish();
        if (t && Object.keys(t).length) res.addTrailers(t);
        res.end();
      });
    });
  };
  stream.onDownstreamClose = () => {
    if (done) return;
    finish();
    cstats.upstream_rq_cancelled.inc();
    abort();
  };
  const timeoutMs = action.timeoutMs;
  if (timeoutMs > 0)
    timer = setTimeout(() => {
      if (done) return;
      finish();
      cstats.upstream_rq_timeout.inc();
      host.rqTimeout++;
      abort();
      if (stream.res.headersSent) {
        info.setFlag('UT');
        stream.res.destroy();
      } else stream.sendLocalReply(504, UPSTREAM_TIMEOUT, 'UT', 'upstream_response_timeout');
    }, timeoutMs);

  const pool = cluster.pool(host);
  if (pool.kind === 'h2') {
    const h2headers: Record<string, unknown> = { ...headers };
    delete h2headers.te;
    if (headers.te === 'trailers') h2headers.te = 'trailers';
    h2headers[':method'] = info.method;
    h2headers[':path'] = target.path;
    h2headers[':authority'] = target.authority;
    h2headers[':scheme'] = 'http';
    let upstream: ClientHttp2Stream;
    try {
      const session = pool.session();
      upstream = session.request(h2headers as http2.OutgoingHttpHeaders);
      connected = !session.connecting;
      if (!connected) session.once('connect', () => (connected = true));
    } catch (e) {
      onError(e as NodeJS.ErrnoException);
      return;
    }
    abort = () => upstream.close(http2.constants.NGHTTP2_CANCEL);
    let trailerHeaders: Record<string, string> | undefined;
    upstream.on('trailers', (t: H2Headers) => {
      trailerHeaders = {};
      for (const [k, v] of Object.entries(t))
        if (!k.startsWith(':') && v !== undefined)
          trailerHeaders[k] = Array.isArray(v) ? v.join(',') : String(v);
    });
    upstream.on('response', (h: H2Headers, flags: number) => {
      const status = Number(h[HTTP2_HEADER_STATUS]);
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(h)) if (!k.startsWith(':')) rest[k] = v;
      onResponse(
        status,
        rest,
        upstream,
        async () => trailerHeaders,
        (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0,
      );
    });
    upstream.on('error', onError);
    upstream.on('close', () => {
      if (!done && !stream.res.headersSent)
        onError(Object.assign(new Error('stream closed'), { code: 'ERR_HTTP2_STREAM_ERROR' }));
    });
    stream.req.pipe(upstream);
    return;
  }
  headers.host = target.authority;
  const upstream = http.request({
    agent: pool.agent,
    method: info.method,
    path: target.path,
    headers,
    setHost: false,
  });
  abort = () => upstream.destroy();
  upstream.on('socket', (socket) => {
    if (isReady(socket)) connected = true;
    else socket.once(readyEvent(socket), () => (connected = true));
  });

  if (cluster.config.maxRequestsPerConnection)
    upstream.on('socket', (socket) => {
      const s = socket as typeof socket & { caravelRequests?: number };
      s.caravelRequests = (s.caravelRequests ?? 0) + 1;
      if (s.caravelRequests >= cluster.config.maxRequestsPerConnection!) upstream.shouldKeepAlive = false;
    });
  upstream.on('response', (upstreamRes: IncomingMessage) => {
    onResponse(upstreamRes.statusCode ?? 502, { ...upstreamRes.headers }, upstreamRes, async () =>
      Object.keys(upstreamRes.trailers).length ? (upstreamRes.trailers as Record<string, string>) : undefined,
    );
    upstreamRes.on('error', onError);
    upstreamRes.on('aborted', () =>
      onError(Object.assign(new Error('upstream aborted'), { code: 'ECONNRESET' })),
    );
  });
  upstream.on('error', onError);
  stream.req.pipe(upstream);
}

export class RouterFilter implements HttpFilter {
  decodeHeaders(stream: HttpStream): FilterStatus {
    const target = selectUpstream(stream);
    if (!target) return 'stop';
    forward(stream, target, stream.route!.action as RouteAction);
    return 'stop';
  }
}

export const routerFilter: HttpFilterFactory<null> = {
  name: 'envoy.filters.http.router',
  typeUrls: [ROUTER_TYPE],
  terminal: true,
  parse: () => null,
  create: () => new RouterFilter(),
};
