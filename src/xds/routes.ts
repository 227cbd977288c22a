// VirtualService HTTP routes → Envoy routes: matches, destinations (weighted, subsets, ports),
// redirects, direct responses, rewrites, header operations, timeouts, retries, fault injection,
// mirroring, CORS and consistent-hash policies; plus Istio's default route for a bare service.
import { FAULT_TYPE, structOf } from '../envoy/index.ts';
import { resolveHost, selectorMatches } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import {
  CORS_POLICY_TYPE,
  duration,
  FILTER_CORS,
  FILTER_FAULT,
  fractionalPercent,
  outboundClusterName,
  PREVIOUS_HOSTS_TYPE,
  PREVIOUS_PRIORITIES_TYPE,
  stringMatcher,
  u32,
} from './envoy-util.ts';
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, StringMatch } from './istio.ts';
import { effectivePolicy } from './policy.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext } from './push-context.ts';
import { MESH_GATEWAY } from './push-context.ts';

/** Where the routes are being built: for which proxy, listener port and gateway (or mesh). */
export interface RouteContext {
  readonly proxy: Proxy;
  readonly push: PushContext;
  /** The port requests arrive on (service port for sidecars, server port for gateways). */
  readonly port: number;
  /** "mesh" or `namespace/name` of the gateway whose server is being built. */
  readonly gateway: string;
}

const PREVIOUS_HOSTS = {
  name: 'envoy.retry_host_predicates.previous_hosts',
  typedConfig: { '@type': PREVIOUS_HOSTS_TYPE },
};
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
/** Istio's default policy retries 503 (retriable-status-codes). */
const DEFAULT_RETRIABLE_CODES = [503];

/** Istio's retry policy: the default when unset, none when attempts is 0. */
export function retryPolicy(retries: HTTPRoute['retries'], consistentHash: boolean): Json | undefined {
  if (!retries) {
    return {
      retryOn: DEFAULT_RETRY_ON,
      numRetries: u32(2),
      retriableStatusCodes: [...DEFAULT_RETRIABLE_CODES],
      ...(consistentHash ? {} : { retryHostPredicate: [PREVIOUS_HOSTS] }),
      hostSelectionRetryMaxAttempts: '5',
    };
  }
  if (!retries.attempts) return undefined;
  const out: Json = {
    retryOn: DEFAULT_RETRY_ON,
    numRetries: u32(retries.attempts),
    retriableStatusCodes: [...DEFAULT_RETRIABLE_CODES],
    ...(consistentHash ? {} : { retryHostPredicate: [PREVIOUS_HOSTS] }),
    hostSelectionRetryMaxAttempts: '5',
  };
  if (retries.retryOn) {
    const codes: number[] = [];
    const on: string[] = [];
    for (const part of retries.retryOn
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      if (/^\d{3}$/.test(part)) codes.push(Number(part));
      else on.push(part);
    }
    if (codes.length && !on.includes('retriable-status-codes')) on.push('retriable-status-codes');
    // Istio's parseRetryOn: an explicit retryOn replaces both the conditions and the codes.
    out.retryOn = on.join(',');
    if (codes.length) out.retriableStatusCodes = codes;
    else delete out.retriableStatusCodes;
  }
  if (retries.perTryTimeout) out.perTryTimeout = duration(retries.perTryTimeout);
  if (retries.retryIgnorePreviousHosts !== undefined)
    out.retryHostPredicate = retries.retryIgnorePreviousHosts ? [PREVIOUS_HOSTS] : [];
  if (retries.retryRemoteLocalities)
    out.retryPriority = {
      name: 'envoy.retry_priorities.previous_priorities',
      typedConfig: { '@type': PREVIOUS_PRIORITIES_TYPE, updateFrequency: 2 },
    };
  if (retries.backoff) out.retryBackOff = { baseInterval: duration(retries.backoff) };
  return out;
}

/** Route timeout (Istio: none → 0s, no timeout); proxyless gRPC reads max_stream_duration. */
function applyTimeout(action: Json, timeoutMs: number | undefined, proxy: Proxy): void {
  const t = duration(timeoutMs ?? 0);
  action.timeout = t;
  if (proxy.grpc) action.maxStreamDuration = { maxStreamDuration: t };
  else action.maxGrpcTimeout = t;
}

/** Istio's default route to one cluster, used when no VirtualService covers the host. */
export function defaultRoute(ctx: RouteContext, host: string, port: number): Json {
  const cluster = outboundClusterName(port, '', host);
  const action: Json = { cluster, clusterNotFoundResponseCode: 'SERVICE_UNAVAILABLE' };
  applyTimeout(action, undefined, ctx.proxy);
  const hash = hashPolicy(ctx, host, '', port);
  if (hash) action.hashPolicy = hash;
  const retry = retryPolicy(undefined, Boolean(hash));
  if (retry) action.retryPolicy = retry;
  return {
    name: 'default',
    match: { prefix: '/' },
    route: action,
    decorator: { operation: `${host}:${port}/*` },
  };
}

function headerMatcher(name: string, m: StringMatch, invert: boolean): Json {
  // In withoutHeaders, regex "*" (and Istio's empty prefix) mean "the header is present".
  const present = m.regex === '*' || m.prefix === '';
  const base: Json = present ? { name, presentMatch: true } : { name, stringMatch: stringMatcher(m) };
  return invert ? { ...base, invertMatch: true } : base;
}

/** Does this match apply to the proxy and listener being built? */
function matchApplies(
  m: HTTPMatchRequest,
  ctx: RouteContext,
  vsGateways: readonly string[],
  vsNamespace: string,
): boolean {
  if (m.port !== undefined && m.port !== ctx.port) return false;
  if (m.sourceLabels && (ctx.gateway !== MESH_GATEWAY || !selectorMatches(m.sourceLabels, ctx.proxy.labels)))
    return false;
  if (m.sourceNamespace && m.sourceNamespace !== ctx.proxy.namespace) return false;
  const gateways = m.gateways?.length
    ? m.gateways.map((g) => (g === MESH_GATEWAY || g.includes('/') ? g : `${vsNamespace}/${g}`))
    : vsGateways;
  return gateways.includes(ctx.gateway);
}

function routeMatch(m: HTTPMatchRequest | undefined): Json {
  const out: Json = {};
  const uri = m?.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.regex !== undefined) out.safeRegex = { regex: uri.regex };
  else out.prefix = uri?.prefix ?? '/';
  if (m?.ignoreUriCase) out.caseSensitive = { value: false };
  const headers: Json[] = [];
  if (m?.scheme) headers.push(headerMatcher(':scheme', m.scheme, false));
  if (m?.method) headers.push(headerMatcher(':method', m.method, false));
  if (m?.authority) headers.push(headerMatcher(':authority', m.authority, false));
  for (const [name, v] of Object.entries(m?.headers ?? {}))
    headers.push(headerMatcher(name.toLowerCase(), v, false));
  for (const [name, v] of Object.entries(m?.withoutHeaders ?? {}))
    headers.push(headerMatcher(name.toLowerCase(), v, true));
  if (headers.length) out.headers = headers;
  const query = Object.entries(m?.queryParams ?? {}).map(([name, v]) =>
    v.exact === '' ? { name, presentMatch: true } : { name, stringMatch: stringMatcher(v) },
  );
  if (query.length) out.queryParameters = query;
  return out;
}

type HeaderOps = HTTPRouteDestination['headers'];

function headerValues(map: Readonly<Record<string, string>> | undefined, action: string): Json[] {
  return Object.entries(map ?? {})
    .filter(([k]) => !/^(:authority|host)$/i.test(k))
    .map(([key, value]) => ({ header: { key, value }, appendAction: action }));
}

/** Header operations onto an Envoy object (route or weighted cluster). */
function applyHeaders(target: Json, h: HeaderOps): void {
  if (!h) return;
  const reqAdd = [
    ...headerValues(h.request?.set, 'OVERWRITE_IF_EXISTS_OR_ADD'),
    ...headerValues(h.request?.add, 'APPEND_IF_EXISTS_OR_ADD'),
  ];
  const resAdd = [
    ...headerValues(h.response?.set, 'OVERWRITE_IF_EXISTS_OR_ADD'),
    ...headerValues(h.response?.add, 'APPEND_IF_EXISTS_OR_ADD'),
  ];
  if (reqAdd.length) target.requestHeadersToAdd = reqAdd;
  if (h.request?.remove?.length) target.requestHeadersToRemove = [...h.request.remove];
  if (resAdd.length) target.responseHeadersToAdd = resAdd;
  if (h.response?.remove?.length) target.responseHeadersToRemove = [...h.response.remove];
}

/** Authority written through headers.request.set/add (Istio turns it into a host rewrite). */
function authorityFromHeaders(h: HeaderOps): string | undefined {
  for (const field of ['set', 'add'] as const)
    for (const [k, v] of Object.entries(h?.request?.[field] ?? {}))
      if (/^(:authority|host)$/i.test(k)) return v;
  return undefined;
}

interface ResolvedDestination {
  readonly host: string;
  readonly port: number;
  readonly subset: string;
  readonly cluster: string;
}

function resolveDestination(
  ctx: RouteContext,
  d: { host: string; subset?: string | undefined; port?: { number: number } | undefined },
  vsNamespace: string,
): ResolvedDestination {
  const host = resolveHost(d.host, vsNamespace, ctx.push.mesh.domain);
  const service = ctx.push.registry.service(host);
  const port = d.port?.number ?? (service?.ports.length === 1 ? service.ports[0]!.port : ctx.port);
  const subset = d.subset ?? '';
  return { host, port, subset, cluster: outboundClusterName(port, subset, host) };
}

function hashPolicy(ctx: RouteContext, host: string, subset: string, port: number): Json[] | undefined {
  const dr = ctx.push.destinationRule(ctx.proxy.namespace, host);
  const hash = effectivePolicy(dr, subset, port).loadBalancer?.consistentHash;
  if (!hash) return undefined;
  if (hash.httpHeaderName) return [{ header: { headerName: hash.httpHeaderName } }];
  if (hash.httpCookie)
    return [
      {
        cookie: {
          name: hash.httpCookie.name,
          ...(hash.httpCookie.path ? { path: hash.httpCookie.path } : {}),
          ...(hash.httpCookie.ttl !== undefined ? { ttl: duration(hash.httpCookie.ttl) } : {}),
        },
      },
    ];
  if (hash.useSourceIp) return [{ connectionProperties: { sourceIp: true } }];
  if (hash.httpQueryParameterName) return [{ queryParameter: { name: hash.httpQueryParameterName } }];
  return undefined;
}

const GRPC_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** HTTP fault filter config for a route (Istio: unspecified percentage → no request affected). */
export function faultConfig(fault: NonNullable<HTTPRoute['fault']>): Json {
  const out: Json = { '@type': FAULT_TYPE };
  if (fault.delay?.fixedDelay !== undefined) {
    const pct = fault.delay.percentage?.value ?? fault.delay.percent ?? 0;
    out.delay = { fixedDelay: duration(fault.delay.fixedDelay), percentage: fractionalPercent(pct) };
  }
  if (fault.abort) {
    const a = fault.abort as { httpStatus?: number; grpcStatus?: string; percentage?: { value: number } };
    const pct = a.percentage?.value ?? 0;
    if (a.grpcStatus !== undefined)
      out.abort = { grpcStatus: GRPC_CODES[a.grpcStatus] ?? 2, percentage: fractionalPercent(pct) };
    else out.abort = { httpStatus: a.httpStatus ?? 503, percentage: fractionalPercent(pct) };
  }
  return out;
}

function corsConfig(cors: NonNullable<HTTPRoute['corsPolicy']>): Json {
  const origins = [
    ...(cors.allowOrigins ?? []).map((m) => stringMatcher(m)),
    ...(cors.allowOrigin ?? []).map((o) => (o === '*' ? { safeRegex: { regex: '.*' } } : { exact: o })),
  ];
  return {
    '@type': CORS_POLICY_TYPE,
    ...(origins.length ? { allowOriginStringMatch: origins } : {}),
    ...(cors.allowMethods?.length ? { allowMethods: cors.allowMethods.join(',') } : {}),
    ...(cors.allowHeaders?.length ? { allowHeaders: cors.allowHeaders.join(',') } : {}),
    ...(cors.exposeHeaders?.length ? { exposeHeaders: cors.exposeHeaders.join(',') } : {}),
    ...(cors.maxAge !== undefined ? { maxAge: String(Math.floor(cors.maxAge / 1000)) } : {}),
    ...(cors.allowCredentials !== undefined ? { allowCredentials: { value: cors.allowCredentials } } : {}),
    filterEnabled: { defaultValue: { numerator: 100, denominator: 'HUNDRED' } },
  };
}

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

function mirrorPolicies(ctx: RouteContext, r: HTTPRoute, ns: string): Json[] {
  const list: { destination: NonNullable<HTTPRoute['mirror']>; percent: number }[] = [];
  if (r.mirror)
    list.push({ destination: r.mirror, percent: r.mirrorPercentage?.value ?? r.mirrorPercent ?? 100 });
  for (const m of r.mirrors ?? [])
    list.push({ destination: m.destination, percent: m.percentage?.value ?? 100 });
  return list.map((m) => ({
    cluster: resolveDestination(ctx, m.destination, ns).cluster,
    runtimeFraction: { defaultValue: fractionalPercent(m.percent) },
    traceSampled: { value: false },
  }));
}

/** One HTTPRoute → Envoy routes (one per applicable match); [] when no match applies here. */
export function translateHttpRoute(
  ctx: RouteContext,
  r: HTTPRoute,
  vs: { name: string; namespace: string; gateways: readonly string[] },
  index: number,
): Json[] {
  const matches = r.match?.length
    ? r.match.filter((m) => matchApplies(m, ctx, vs.gateways, vs.namespace))
    : [undefined];
  if (matches.length === 0 || (!r.match?.length && !vs.gateways.includes(ctx.gateway))) return [];
  const base: Json = {};
  const perFilter: Json = {};
  if (r.redirect) {
    const red = r.redirect;
    base.redirect = {
      ...(red.uri ? { pathRedirect: red.uri } : {}),
      ...(red.authority ? { hostRedirect: red.authority } : {}),
      ...(red.port ? { portRedirect: red.port } : {}),
      ...(red.scheme ? { schemeRedirect: red.scheme } : {}),
      responseCode: REDIRECT_CODES[red.redirectCode ?? 301] ?? 'MOVED_PERMANENTLY',
    };
  } else if (r.directResponse) {
    const body = r.directResponse.body;
    base.directResponse = {
      status: r.directResponse.status,
      ...(body?.string !== undefined ? { body: { inlineString: body.string } } : {}),
      ...(body?.bytes !== undefined ? { body: { inlineBytes: body.bytes } } : {}),
    };
  } else {
    const dests = (r.route ?? []).filter((d) => (r.route!.length === 1 ? true : (d.weight ?? 0) > 0));
    const resolved = dests.map((d) => ({ d, to: resolveDestination(ctx, d.destination, vs.namespace) }));
    const action: Json = { clusterNotFoundResponseCode: 'SERVICE_UNAVAILABLE' };
    if (resolved.length === 1) {
      action.cluster = resolved[0]!.to.cluster;
      applyHeaders(base, mergeHeaders(r.headers, resolved[0]!.d.headers));
    } else {
      action.weightedClusters = {
        clusters: resolved.map(({ d, to }) => {
          const wc: Json = { name: to.cluster, weight: u32(d.weight ?? 0) };
          applyHeaders(wc, d.headers);
          return wc;
        }),
      };
      applyHeaders(base, r.headers);
    }
    const first = resolved[0]?.to;
    const hash = first ? hashPolicy(ctx, first.host, first.subset, first.port) : undefined;
    if (hash) action.hashPolicy = hash;
    applyTimeout(action, r.timeout, ctx.proxy);
    const retry = retryPolicy(r.retries, Boolean(hash));
    if (retry) action.retryPolicy = retry;
    if (r.rewrite?.uri !== undefined) action.prefixRewrite = r.rewrite.uri;
    if (r.rewrite?.uriRegexRewrite)
      action.regexRewrite = {
        pattern: { regex: r.rewrite.uriRegexRewrite.match },
        substitution: r.rewrite.uriRegexRewrite.rewrite,
      };
    const authority =
      r.rewrite?.authority ?? authorityFromHeaders(r.headers) ?? authorityFromHeaders(resolved[0]?.d.headers);
    if (authority) action.hostRewriteLiteral = authority;
    const mirrors = mirrorPolicies(ctx, r, vs.namespace);
    if (mirrors.length) action.requestMirrorPolicies = mirrors;
    base.route = action;
    if (first) base.decorator = { operation: `${first.host}:${first.port}/*` };
  }
  if (r.fault) perFilter[FILTER_FAULT] = faultConfig(r.fault);
  if (r.corsPolicy && !ctx.proxy.grpc) perFilter[FILTER_CORS] = corsConfig(r.corsPolicy);
  if (Object.keys(perFilter).length) base.typedPerFilterConfig = perFilter;
  if (r.redirect || r.directResponse) applyHeaders(base, r.headers);
  // As Istio does: the VirtualService a route came from, which istioctl shows as VIRTUAL SERVICE.
  base.metadata = {
    filterMetadata: {
      istio: structOf({
        config: `/apis/networking.istio.io/v1/namespaces/${vs.namespace}/virtual-service/${vs.name}`,
      }),
    },
  };
  return matches.map((m, i) => ({
    name: routeName(r, m, vs, index, i),
    match: routeMatch(m),
    ...base,
  }));
}

function routeName(
  r: HTTPRoute,
  m: HTTPMatchRequest | undefined,
  vs: { name: string; namespace: string },
  index: number,
  i: number,
): string {
  if (r.name && m?.name) return `${r.name}.${m.name}`;
  if (r.name) return r.name;
  if (m?.name) return m.name;
  return `${vs.namespace}.${vs.name}.${index}${i ? `.${i}` : ''}`;
}

function mergeHeaders(a: HeaderOps, b: HeaderOps): HeaderOps {
  if (!a) return b;
  if (!b) return a;
  const merge = (x?: Record<string, string>, y?: Record<string, string>) =>
    x || y ? { ...x, ...y } : undefined;
  const side = (s: 'request' | 'response') => {
    const x = a[s];
    const y = b[s];
    if (!x && !y) return undefined;
    const set = merge(x?.set, y?.set);
    const add = merge(x?.add, y?.add);
    const remove = [...(x?.remove ?? []), ...(y?.remove ?? [])];
    return { ...(set ? { set } : {}), ...(add ? { add } : {}), ...(remove.length ? { remove } : {}) };
  };
  const request = side('request');
  const response = side('response');
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) } as HeaderOps;
}
