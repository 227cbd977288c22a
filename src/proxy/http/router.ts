// The router filter (terminal): route action → cluster → load balancer → connection pool →
// upstream request; maps upstream failures to Envoy's local replies and response flags.
import type { IncomingHttpHeaders } from 'node:http';
import { ROUTER_TYPE } from '../../envoy/index.ts';
import type { DirectAction, RedirectAction, RouteAction, WeightedCluster } from '../router/route-config.ts';
import { applyMutation } from '../router/headers.ts';
import type { HeaderMap } from '../router/headers.ts';
import type { Cluster } from '../upstream/cluster.ts';
import { requestHash } from '../upstream/hash-policy.ts';
import type { Host } from '../upstream/host.ts';
import type { FilterStatus, HttpFilter, HttpFilterFactory } from './filters/registry.ts';
import { forward, NO_HEALTHY_UPSTREAM } from './forward.ts';
import type { HttpStream } from './stream.ts';

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
  /** The hash policy's value, for retries' host choice. */
  readonly hash: number | undefined;
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
  return { cluster, host, authority, path, weighted, hash };
}

function originalDestination(stream: HttpStream, cluster: Cluster): string {
  if (cluster.config.useHttpHeaderForOriginalDst) {
    const h = stream.headers['x-envoy-original-dst-host'];
    if (typeof h === 'string' && h) return h;
  }
  const authority = stream.info.authority;
  return /:\d+$/.test(authority) ? authority : `${authority}:${stream.info.scheme === 'https' ? 443 : 80}`;
}

export class RouterFilter implements HttpFilter {
  decodeHeaders(stream: HttpStream): FilterStatus {
    const target = selectUpstream(stream);
    if (!target) return 'stop';
    applyRouteRequestHeaders(stream, target.weighted);
    forward(
      stream,
      {
        cluster: target.cluster,
        host: target.host,
        authority: target.authority,
        path: target.path,
        hash: target.hash,
        decorate: (headers) => applyRouteResponseHeaders(stream, headers, target.weighted),
      },
      stream.route!.action as RouteAction,
    );
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
