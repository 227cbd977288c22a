// HttpConnectionManager and TcpProxy network filter configs, and access log configs.
import { HCM_TYPE, TCP_PROXY_TYPE } from '../../../envoy/index.ts';
import { compileFormat, DEFAULT_ACCESS_LOG_FORMAT } from '../../http/format.ts';
import type { Formatter } from '../../http/format.ts';
import { findHttpFilter } from '../../http/filters/registry.ts';
import type { HttpFilterFactory } from '../../http/filters/registry.ts';
import { decodeRouteConfig } from '../../router/route-config.ts';
import type { RouteTable } from '../../router/route-config.ts';
import type { Obj, Reader } from './read.ts';
import { bool, durationMs, num, obj, objs, str, wrapped, wrappedBool } from './read.ts';

export const FILE_ACCESS_LOG_TYPE =
  'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
export const STDOUT_ACCESS_LOG_TYPE =
  'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
export const STDERR_ACCESS_LOG_TYPE =
  'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog';

export interface AccessLogConfig {
  /** "/dev/stdout", "/dev/stderr" or a file path. */
  readonly path: string;
  readonly format: Formatter;
  readonly json: boolean;
}

export interface HttpFilterConfig {
  readonly name: string;
  readonly factory: HttpFilterFactory;
  readonly config: unknown;
}

export interface Cidr {
  readonly prefix: string;
  readonly length: number;
}

export interface HcmConfig {
  readonly kind: 'hcm';
  readonly statPrefix: string;
  readonly codecType: 'AUTO' | 'HTTP1' | 'HTTP2';
  readonly rdsName: string | undefined;
  readonly routeConfig: RouteTable | undefined;
  readonly httpFilters: readonly HttpFilterConfig[];
  readonly useRemoteAddress: boolean;
  readonly skipXffAppend: boolean;
  readonly xffNumTrustedHops: number;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  readonly serverName: string;
  readonly serverHeaderTransformation: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  readonly internalCidrs: readonly Cidr[] | undefined;
  readonly accessLogs: readonly AccessLogConfig[];
  readonly maxRequestHeadersKb: number;
  readonly streamIdleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly upgrades: ReadonlyMap<string, boolean>;
  readonly stripAnyHostPort: boolean;
  readonly stripMatchingHostPort: boolean;
  readonly mergeSlashes: boolean;
  readonly normalizePath: boolean;
  readonly via: string;
  readonly raw: Obj;
}

export interface TcpProxyConfig {
  readonly kind: 'tcp';
  readonly statPrefix: string;
  readonly cluster: string | undefined;
  readonly weighted: readonly { readonly name: string; readonly weight: number }[];
  readonly idleTimeoutMs: number;
  readonly accessLogs: readonly AccessLogConfig[];
  readonly raw: Obj;
}

export type NetworkFilterConfig = HcmConfig | TcpProxyConfig;

/** Envoy's default, the wording Istio's gateways answer with. */
export const DEFAULT_SERVER_NAME = 'istio-envoy';

export function decodeAccessLogs(r: Reader, list: readonly Obj[], path: string): AccessLogConfig[] {
  const out: AccessLogConfig[] = [];
  list.forEach((al, i) => {
    const p = `${path}[${i}]`;
    const tc = obj(al, 'typedConfig');
    const type = tc && str(tc, '@type');
    if (!tc || !type) return r.fail(`${p}.typed_config`, 'is required');
    let target: string;
    if (type === FILE_ACCESS_LOG_TYPE) target = str(tc, 'path') ?? '';
    else if (type === STDOUT_ACCESS_LOG_TYPE) target = '/dev/stdout';
    else if (type === STDERR_ACCESS_LOG_TYPE) target = '/dev/stderr';
    else return; // other sinks (gRPC, OpenTelemetry) are not available in this proxy
    if (!target) r.fail(`${p}.typed_config.path`, 'is required');
    const lf = obj(tc, 'logFormat');
    const jsonFormat = lf && obj(lf, 'jsonFormat');
    const textSource = lf && obj(lf, 'textFormatSource');
    let text =
      str(tc, 'format') ?? (lf && str(lf, 'textFormat')) ?? (textSource && str(textSource, 'inlineString'));
    if (jsonFormat) {
      // JSON format: each field is its own format string; rendered as one JSON object per line.
      const fields = Object.entries(jsonFormat).map(
        ([k, v]) => [k, compileFormat(r, String(v), `${p}.log_format.json_format.${k}`)] as const,
      );
      out.push({
        path: target,
        json: true,
        format: (info) => JSON.stringify(Object.fromEntries(fields.map(([k, f]) => [k, f(info)]))) + '\n',
      });
      return;
    }
    text ??= DEFAULT_ACCESS_LOG_FORMAT;
    out.push({
      path: target,
      json: false,
      format: compileFormat(r, text.endsWith('\n') ? text : `${text}\n`, `${p}.format`),
    });
  });
  return out;
}

function cidrs(r: Reader, list: readonly Obj[], path: string): Cidr[] {
  return list.map((c, i) => {
    const prefix = str(c, 'addressPrefix');
    if (!prefix) return r.fail(`${path}[${i}].address_prefix`, 'is required');
    return { prefix, length: wrapped(c, 'prefixLen') ?? (prefix.includes(':') ? 128 : 32) };
  });
}

function decodeHcm(r: Reader, c: Obj, path: string): HcmConfig {
  const statPrefix = str(c, 'statPrefix');
  if (!statPrefix) return r.fail(`${path}.stat_prefix`, 'is required');
  const rds = obj(c, 'rds');
  const inline = obj(c, 'routeConfig');
  const rdsName = rds && str(rds, 'routeConfigName');
  if (!rdsName && !inline) r.fail(path, 'needs rds.route_config_name or route_config');
  const filters: HttpFilterConfig[] = [];
  objs(c, 'httpFilters').forEach((f, i) => {
    const p = `${path}.http_filters[${i}]`;
    const name = str(f, 'name') ?? '';
    if (bool(f, 'disabled')) return;
    const tc = obj(f, 'typedConfig') ?? {};
    const factory = findHttpFilter(str(tc, '@type'), name);
    if (!factory) {
      if (bool(f, 'isOptional')) return;
      return r.fail(p, `unknown HTTP filter "${name}"${str(tc, '@type') ? ` (${str(tc, '@type')})` : ''}`);
    }
    filters.push({ name: name || factory.name, factory, config: factory.parse(r, tc, `${p}.typed_config`) });
  });
  const terminal = filters.filter((f) => f.factory.terminal);
  if (terminal.length === 0 || !filters.at(-1)!.factory.terminal)
    r.fail(
      `${path}.http_filters`,
      'the last HTTP filter must be a terminal filter (envoy.filters.http.router)',
    );
  if (terminal.length > 1) r.fail(`${path}.http_filters`, 'only the last HTTP filter may be terminal');
  const upgrades = new Map<string, boolean>();
  for (const u of objs(c, 'upgradeConfigs')) {
    const t = str(u, 'upgradeType');
    if (t) upgrades.set(t.toLowerCase(), wrappedBool(u, 'enabled') ?? true);
  }
  const common = obj(c, 'commonHttpProtocolOptions') ?? {};
  const iac = obj(c, 'internalAddressConfig');
  return {
    kind: 'hcm',
    statPrefix,
    codecType: (str(c, 'codecType') as HcmConfig['codecType'] | undefined) ?? 'AUTO',
    rdsName,
    routeConfig: inline ? decodeRouteConfig(inline, `${statPrefix} (inline)`) : undefined,
    httpFilters: filters,
    useRemoteAddress: wrappedBool(c, 'useRemoteAddress') ?? false,
    skipXffAppend: bool(c, 'skipXffAppend') ?? false,
    xffNumTrustedHops: num(c, 'xffNumTrustedHops') ?? 0,
    generateRequestId: wrappedBool(c, 'generateRequestId') ?? true,
    preserveExternalRequestId: bool(c, 'preserveExternalRequestId') ?? false,
    alwaysSetRequestIdInResponse: bool(c, 'alwaysSetRequestIdInResponse') ?? false,
    serverName: str(c, 'serverName') || DEFAULT_SERVER_NAME,
    serverHeaderTransformation:
      (str(c, 'serverHeaderTransformation') as HcmConfig['serverHeaderTransformation'] | undefined) ??
      'OVERWRITE',
    internalCidrs: iac
      ? cidrs(r, objs(iac, 'cidrRanges'), `${path}.internal_address_config.cidr_ranges`)
      : undefined,
    accessLogs: decodeAccessLogs(r, objs(c, 'accessLog'), `${path}.access_log`),
    maxRequestHeadersKb: wrapped(c, 'maxRequestHeadersKb') ?? 60,
    streamIdleTimeoutMs: durationMs(c, 'streamIdleTimeout') ?? 300_000,
    requestTimeoutMs: durationMs(c, 'requestTimeout') ?? 0,
    idleTimeoutMs: durationMs(common, 'idleTimeout') ?? 3_600_000,
    upgrades,
    stripAnyHostPort: bool(c, 'stripAnyHostPort') ?? false,
    stripMatchingHostPort: bool(c, 'stripMatchingHostPort') ?? false,
    mergeSlashes: bool(c, 'mergeSlashes') ?? false,
    normalizePath: wrappedBool(c, 'normalizePath') ?? false,
    via: str(c, 'via') ?? '',
    raw: c,
  };
}

function decodeTcpProxy(r: Reader, c: Obj, path: string): TcpProxyConfig {
  const statPrefix = str(c, 'statPrefix');
  if (!statPrefix) return r.fail(`${path}.stat_prefix`, 'is required');
  const cluster = str(c, 'cluster');
  const wc = obj(c, 'weightedClusters');
  const weighted = wc
    ? objs(wc, 'clusters').map((w, i) => {
        const name = str(w, 'name');
        if (!name) return r.fail(`${path}.weighted_clusters.clusters[${i}].name`, 'is required');
        return { name, weight: num(w, 'weight') ?? 0 };
      })
    : [];
  if (!cluster && weighted.length === 0) r.fail(path, 'needs cluster or weighted_clusters');
  return {
    kind: 'tcp',
    statPrefix,
    cluster,
    weighted,
    idleTimeoutMs: durationMs(c, 'idleTimeout') ?? 3_600_000,
    accessLogs: decodeAccessLogs(r, objs(c, 'accessLog'), `${path}.access_log`),
    raw: c,
  };
}

/** The network filters of a chain: this proxy terminates with HCM or tcp_proxy. */
export function decodeNetworkFilters(r: Reader, list: readonly Obj[], path: string): NetworkFilterConfig {
  let terminal: NetworkFilterConfig | undefined;
  list.forEach((f, i) => {
    const p = `${path}[${i}]`;
    const tc = obj(f, 'typedConfig');
    const type = tc && str(tc, '@type');
    if (terminal) r.fail(p, 'comes after a terminal network filter');
    if (type === HCM_TYPE) terminal = decodeHcm(r, tc!, `${p}.typed_config`);
    else if (type === TCP_PROXY_TYPE) terminal = decodeTcpProxy(r, tc!, `${p}.typed_config`);
    else r.fail(p, `unsupported network filter "${str(f, 'name') ?? ''}"${type ? ` (${type})` : ''}`);
  });
  if (!terminal) return r.fail(path, 'needs an http_connection_manager or tcp_proxy filter');
  return terminal;
}
