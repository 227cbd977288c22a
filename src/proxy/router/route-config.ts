// Decodes a RouteConfiguration into a compiled route table: virtual hosts indexed by domain, routes
// with precompiled matchers, actions and header mutations. Anything invalid throws (→ NACK).
import type { RE2 } from 're2-wasm';
import type { Obj } from '../xds/decode/read.ts';
import {
  Reader,
  bool,
  durationMs,
  fraction,
  num,
  obj,
  objs,
  str,
  strs,
  wrapped,
  wrappedBool,
} from '../xds/decode/read.ts';
import { findHttpFilter } from '../http/filters/registry.ts';
import { compileMutation, NO_MUTATION } from './headers.ts';
import type { HeaderMutation } from './headers.ts';
import { fullRegex, headerMatcher, queryMatcher, searchRegex, substitution } from './matchers.ts';
import type { FullMatch } from './matchers.ts';
import type { HeaderTest, QueryTest } from './matchers.ts';
import { compileHashPolicies } from '../upstream/hash-policy.ts';
import type { HashPolicy } from '../upstream/hash-policy.ts';
import { decodeRetryPolicy } from '../http/retry.ts';
import type { RetryPolicy } from '../http/retry.ts';

/** A request_mirror_policies entry: the shadow cluster and the share of requests copied to it. */
export interface MirrorPolicy {
  readonly cluster: string;
  readonly fraction: number;
}

export type PathMatch =
  | { readonly kind: 'prefix'; readonly value: string; readonly caseSensitive: boolean }
  | { readonly kind: 'path'; readonly value: string; readonly caseSensitive: boolean }
  | { readonly kind: 'separated'; readonly value: string; readonly caseSensitive: boolean }
  | { readonly kind: 'regex'; readonly re: FullMatch }
  | { readonly kind: 'connect' };

export interface WeightedCluster {
  readonly name: string;
  readonly weight: number;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  readonly hostRewrite: string | undefined;
}

export interface RouteAction {
  readonly kind: 'route';
  readonly cluster: string | undefined;
  readonly clusterHeader: string | undefined;
  readonly weighted: { readonly clusters: readonly WeightedCluster[]; readonly total: number } | undefined;
  readonly prefixRewrite: string | undefined;
  readonly regexRewrite: { readonly re: RE2; readonly substitution: string } | undefined;
  readonly hostRewriteLiteral: string | undefined;
  readonly autoHostRewrite: boolean;
  readonly hostRewriteHeader: string | undefined;
  /** Route timeout; 0 disables it. Envoy's default is 15 s. */
  readonly timeoutMs: number;
  /** gRPC requests: the grpc-timeout header is the timeout, capped by this (0 = no cap);
   * undefined when the route does not read the header. */
  readonly grpcTimeoutMaxMs: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  readonly hashPolicies: readonly HashPolicy[];
  readonly upgrades: ReadonlyMap<string, boolean>;
  readonly retryPolicy: RetryPolicy | undefined;
  readonly requestMirrorPolicies: readonly MirrorPolicy[];
}

export interface RedirectAction {
  readonly kind: 'redirect';
  readonly scheme: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly path: string | undefined;
  readonly prefixRewrite: string | undefined;
  readonly regexRewrite: { readonly re: RE2; readonly substitution: string } | undefined;
  readonly stripQuery: boolean;
  readonly status: number;
}

export interface DirectAction {
  readonly kind: 'direct';
  readonly status: number;
  readonly body: string | undefined;
}

export interface Route {
  readonly name: string;
  readonly match: PathMatch;
  readonly headers: readonly HeaderTest[];
  readonly query: readonly QueryTest[];
  readonly grpcOnly: boolean;
  readonly runtimeFraction: number | undefined;
  readonly action: RouteAction | RedirectAction | DirectAction;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  readonly perFilter: ReadonlyMap<string, unknown>;
}

export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly Route[];
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  readonly requireTls: string;
  readonly perFilter: ReadonlyMap<string, unknown>;
  readonly retryPolicy: RetryPolicy | undefined;
  /** x-envoy-attempt-count on upstream requests / on responses. */
  readonly includeRequestAttemptCount: boolean;
  readonly includeAttemptCountInResponse: boolean;
  /** Request bytes kept for retries and mirrors (Envoy's per_request_buffer_limit_bytes). */
  readonly bufferLimitBytes: number | undefined;
}

export interface RouteTable {
  readonly name: string;
  readonly virtualHosts: readonly VirtualHost[];
  readonly exact: ReadonlyMap<string, VirtualHost>;
  /** `*.suffix` wildcards, longest suffix first (value is the suffix with its dot). */
  readonly suffixes: readonly (readonly [string, VirtualHost])[];
  /** `prefix*` wildcards, longest prefix first. */
  readonly prefixes: readonly (readonly [string, VirtualHost])[];
  readonly catchAll: VirtualHost | undefined;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  readonly internalOnlyHeaders: readonly string[];
  readonly ignorePortInHostMatching: boolean;
  readonly raw: Obj;
}

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

function perFilterConfigs(r: Reader, o: Obj, path: string): ReadonlyMap<string, unknown> {
  const m = obj(o, 'typedPerFilterConfig');
  const out = new Map<string, unknown>();
  if (!m) return out;
  for (const [name, value] of Object.entries(m)) {
    if (typeof value !== 'object' || value === null) continue;
    let cfg = value as Obj;
    let typeUrl = str(cfg, '@type');
    // envoy.config.route.v3.FilterConfig wraps the real config and may mark it optional.
    if (typeUrl === 'type.googleapis.com/envoy.config.route.v3.FilterConfig') {
      const inner = obj(cfg, 'config');
      if (!inner) continue;
      cfg = inner;
      typeUrl = str(inner, '@type');
    }
    const factory = findHttpFilter(typeUrl, name);
    if (!factory?.parsePerRoute) continue;
    out.set(factory.name, factory.parsePerRoute(r, cfg, `${path}.typed_per_filter_config["${name}"]`));
  }
  return out;
}

function pathMatch(r: Reader, m: Obj, path: string): PathMatch {
  const caseSensitive = wrappedBool(m, 'caseSensitive') ?? true;
  const prefix = str(m, 'prefix');
  if (prefix !== undefined)
    return { kind: 'prefix', value: caseSensitive ? prefix : prefix.toLowerCase(), caseSensitive };
  const exact = str(m, 'path');
  if (exact !== undefined)
    return { kind: 'path', value: caseSensitive ? exact : exact.toLowerCase(), caseSensitive };
  const sep = str(m, 'pathSeparatedPrefix');
  if (sep !== undefined) {
    if (!sep.startsWith('/') || (sep.length > 1 && sep.endsWith('/')) || /[?#]/.test(sep))
      r.fail(`${path}.path_separated_prefix`, 'must start with "/", not end with "/" and hold no "?" or "#"');
    return { kind: 'separated', value: caseSensitive ? sep : sep.toLowerCase(), caseSensitive };
  }
  const regex = obj(m, 'safeRegex');
  if (regex) {
    const pattern = str(regex, 'regex');
    if (pattern === undefined) return r.fail(`${path}.safe_regex.regex`, 'is required');
    return { kind: 'regex', re: fullRegex(r, pattern, `${path}.safe_regex`) };
  }
  if (obj(m, 'connectMatcher')) return { kind: 'connect' };
  return r.fail(path, 'needs one of prefix, path, safe_regex, path_separated_prefix, connect_matcher');
}

function rewrite(r: Reader, o: Obj | undefined, path: string) {
  if (!o) return undefined;
  const p = obj(o, 'pattern');
  const pattern = p && str(p, 'regex');
  if (pattern === undefined) return r.fail(`${path}.pattern.regex`, 'is required');
  return {
    re: searchRegex(r, pattern, `${path}.pattern`),
    substitution: substitution(str(o, 'substitution') ?? ''),
  };
}

function routeAction(r: Reader, a: Obj, path: string): RouteAction {
  const cluster = str(a, 'cluster');
  const clusterHeader = str(a, 'clusterHeader')?.toLowerCase();
  const wc = obj(a, 'weightedClusters');
  let weighted: RouteAction['weighted'];
  if (wc) {
    const clusters = objs(wc, 'clusters').map((c, i): WeightedCluster => {
      const p = `${path}.weighted_clusters.clusters[${i}]`;
      const name = str(c, 'name');
      if (!name) return r.fail(`${p}.name`, 'is required');
      return {
        name,
        weight: wrapped(c, 'weight') ?? 0,
        requestHeaders: compileMutation(r, c, 'requestHeadersToAdd', 'requestHeadersToRemove', p),
        responseHeaders: compileMutation(r, c, 'responseHeadersToAdd', 'responseHeadersToRemove', p),
        hostRewrite: str(c, 'hostRewriteLiteral'),
      };
    });
    if (clusters.length === 0) r.fail(`${path}.weighted_clusters.clusters`, 'needs at least one cluster');
    const sum = clusters.reduce((s, c) => s + c.weight, 0);
    const declared = wrapped(wc, 'totalWeight');
    // total_weight (deprecated) must equal the sum when given, as Envoy validates it.
    if (declared !== undefined && declared !== 0 && declared !== sum)
      r.fail(`${path}.weighted_clusters.total_weight`, `is ${declared} but the weights add up to ${sum}`);
    if (sum <= 0) r.fail(`${path}.weighted_clusters`, 'weights must add up to more than 0');
    weighted = { clusters, total: sum };
  }
  if (!cluster && !clusterHeader && !weighted)
    r.fail(path, 'needs one of cluster, cluster_header, weighted_clusters');
  const upgrades = new Map<string, boolean>();
  for (const u of objs(a, 'upgradeConfigs')) {
    const t = str(u, 'upgradeType');
    if (t) upgrades.set(t.toLowerCase(), wrappedBool(u, 'enabled') ?? true);
  }
  const timeout = durationMs(a, 'timeout');
  return {
    kind: 'route',
    cluster,
    clusterHeader,
    weighted,
    prefixRewrite: str(a, 'prefixRewrite'),
    regexRewrite: rewrite(r, obj(a, 'regexRewrite'), `${path}.regex_rewrite`),
    hostRewriteLiteral: str(a, 'hostRewriteLiteral'),
    autoHostRewrite: wrappedBool(a, 'autoHostRewrite') ?? false,
    hostRewriteHeader: str(a, 'hostRewriteHeader')?.toLowerCase(),
    timeoutMs: timeout ?? 15_000,
    grpcTimeoutMaxMs:
      durationMs(obj(a, 'maxStreamDuration') ?? {}, 'grpcTimeoutHeaderMax') ??
      durationMs(a, 'maxGrpcTimeout'),
    idleTimeoutMs: durationMs(a, 'idleTimeout'),
    hashPolicies: compileHashPolicies(r, objs(a, 'hashPolicy'), `${path}.hash_policy`),
    upgrades,
    retryPolicy: decodeRetryPolicy(r, obj(a, 'retryPolicy'), `${path}.retry_policy`),
    requestMirrorPolicies: objs(a, 'requestMirrorPolicies').map((m, i) => {
      const name = str(m, 'cluster');
      if (!name) return r.fail(`${path}.request_mirror_policies[${i}].cluster`, 'is required');
      const rf = obj(m, 'runtimeFraction');
      return { cluster: name, fraction: rf ? fraction(obj(rf, 'defaultValue')) : 1 };
    }),
  };
}

function redirectAction(r: Reader, a: Obj, path: string): RedirectAction {
  const code = str(a, 'responseCode') ?? 'MOVED_PERMANENTLY';
  return {
    kind: 'redirect',
    scheme: a.httpsRedirect === true ? 'https' : str(a, 'schemeRedirect'),
    host: str(a, 'hostRedirect'),
    port: num(a, 'portRedirect'),
    path: str(a, 'pathRedirect'),
    prefixRewrite: str(a, 'prefixRewrite'),
    regexRewrite: rewrite(r, obj(a, 'regexRewrite'), `${path}.regex_rewrite`),
    stripQuery: bool(a, 'stripQuery') ?? false,
    status: REDIRECT_CODES[code] ?? 301,
  };
}

function directAction(r: Reader, a: Obj, path: string): DirectAction {
  const status = num(a, 'status') ?? 0;
  if (status < 100 || status > 599) r.fail(`${path}.status`, `${status} is not an HTTP status`);
  const body = obj(a, 'body');
  let text: string | undefined;
  if (body) {
    text = str(body, 'inlineString');
    if (text === undefined && body.inlineBytes !== undefined)
      text = Buffer.from(body.inlineBytes as Uint8Array | string).toString();
  }
  return { kind: 'direct', status, body: text };
}

function decodeRoute(r: Reader, o: Obj, path: string): Route {
  const m = obj(o, 'match');
  if (!m) return r.fail(`${path}.match`, 'is required');
  const rf = obj(m, 'runtimeFraction');
  let action: Route['action'];
  const ra = obj(o, 'route');
  const redirect = obj(o, 'redirect');
  const direct = obj(o, 'directResponse');
  if (ra) action = routeAction(r, ra, `${path}.route`);
  else if (redirect) action = redirectAction(r, redirect, `${path}.redirect`);
  else if (direct) action = directAction(r, direct, `${path}.direct_response`);
  else return r.fail(path, 'needs one of route, redirect, direct_response');
  return {
    name: str(o, 'name') ?? '',
    match: pathMatch(r, m, `${path}.match`),
    headers: objs(m, 'headers').map((h, i) => headerMatcher(r, h, `${path}.match.headers[${i}]`)),
    query: objs(m, 'queryParameters').map((q, i) =>
      queryMatcher(r, q, `${path}.match.query_parameters[${i}]`),
    ),
    grpcOnly: obj(m, 'grpc') !== undefined,
    runtimeFraction: rf ? fraction(obj(rf, 'defaultValue')) : undefined,
    action,
    requestHeaders: compileMutation(r, o, 'requestHeadersToAdd', 'requestHeadersToRemove', path),
    responseHeaders: compileMutation(r, o, 'responseHeadersToAdd', 'responseHeadersToRemove', path),
    perFilter: perFilterConfigs(r, o, path),
  };
}

function validDomain(d: string): boolean {
  if (d === '*') return true;
  const stars = d.split('*').length - 1;
  return stars === 0 || (stars === 1 && (d.startsWith('*') || d.endsWith('*')));
}

/** Decodes and compiles one RouteConfiguration (from RDS or inline in a connection manager). */
export function decodeRouteConfig(raw: Obj, resourceName?: string): RouteTable {
  const name = str(raw, 'name') ?? '';
  const r = new Reader(`RouteConfiguration ${resourceName ?? name}`);
  const exact = new Map<string, VirtualHost>();
  const suffixes: [string, VirtualHost][] = [];
  const prefixes: [string, VirtualHost][] = [];
  let catchAll: VirtualHost | undefined;
  const vhosts = objs(raw, 'virtualHosts').map((v, i): VirtualHost => {
    const path = `virtual_hosts[${i}]`;
    const domains = strs(v, 'domains').map((d) => d.toLowerCase());
    if (domains.length === 0) r.fail(`${path}.domains`, 'needs at least one domain');
    const vh: VirtualHost = {
      name: str(v, 'name') ?? '',
      domains,
      routes: objs(v, 'routes').map((rt, j) => decodeRoute(r, rt, `${path}.routes[${j}]`)),
      requestHeaders: compileMutation(r, v, 'requestHeadersToAdd', 'requestHeadersToRemove', path),
      responseHeaders: compileMutation(r, v, 'responseHeadersToAdd', 'responseHeadersToRemove', path),
      requireTls: str(v, 'requireTls') ?? 'NONE',
      perFilter: perFilterConfigs(r, v, path),
      retryPolicy: decodeRetryPolicy(r, obj(v, 'retryPolicy'), `${path}.retry_policy`),
      includeRequestAttemptCount: bool(v, 'includeRequestAttemptCount') ?? false,
      includeAttemptCountInResponse: bool(v, 'includeAttemptCountInResponse') ?? false,
      bufferLimitBytes: wrapped(v, 'perRequestBufferLimitBytes'),
    };
    for (const d of domains) {
      if (!validDomain(d))
        r.fail(`${path}.domains`, `"${d}" is not a valid domain (one leading or trailing "*" at most)`);
      const dup =
        d === '*'
          ? catchAll
          : d.startsWith('*')
            ? suffixes.find(([s]) => `*${s}` === d)
            : d.endsWith('*')
              ? prefixes.find(([p]) => `${p}*` === d)
              : exact.get(d);
      if (dup)
        r.fail(
          `${path}.domains`,
          `"${d}" is also a domain of virtual host "${Array.isArray(dup) ? dup[1].name : (dup as VirtualHost).name}"`,
        );
      if (d === '*') catchAll = vh;
      else if (d.startsWith('*')) suffixes.push([d.slice(1), vh]);
      else if (d.endsWith('*')) prefixes.push([d.slice(0, -1), vh]);
      else exact.set(d, vh);
    }
    return vh;
  });
  suffixes.sort((a, b) => b[0].length - a[0].length);
  prefixes.sort((a, b) => b[0].length - a[0].length);
  return {
    name,
    virtualHosts: vhosts,
    exact,
    suffixes,
    prefixes,
    catchAll,
    requestHeaders: compileMutation(r, raw, 'requestHeadersToAdd', 'requestHeadersToRemove', ''),
    responseHeaders: compileMutation(r, raw, 'responseHeadersToAdd', 'responseHeadersToRemove', ''),
    internalOnlyHeaders: strs(raw, 'internalOnlyHeaders').map((h) => h.toLowerCase()),
    ignorePortInHostMatching: bool(raw, 'ignorePortInHostMatching') ?? false,
    raw,
  };
}

export { NO_MUTATION };
