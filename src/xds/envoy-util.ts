// Small builders for Envoy message fields shared by the generators (plain objects in the camelCase
// form src/envoy packs).

export type Json = Record<string, unknown>;

/** google.protobuf.Duration from milliseconds. */
export function duration(ms: number): Json {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos ? { seconds: String(seconds), nanos } : { seconds: String(seconds) };
}

/** Milliseconds from a google.protobuf.Duration (as packed or unpacked). */
export function durationMs(d: { seconds?: string | number; nanos?: number } | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6;
}

/** Istio expresses percentages as FractionalPercent with a MILLION denominator. */
export function fractionalPercent(percent: number): Json {
  return { numerator: Math.round(percent * 10000), denominator: 'MILLION' };
}

export const u32 = (value: number): Json => ({ value });

export const MAX_U32 = 4294967295;

export function socketAddress(address: string, port: number): Json {
  return { socketAddress: { address, portValue: port } };
}

export const ADS_CONFIG: Json = { ads: {}, resourceApiVersion: 'V3' };

export function stringMatcher(
  m: { exact?: string; prefix?: string; regex?: string },
  ignoreCase = false,
): Json {
  const base: Json =
    m.exact !== undefined
      ? { exact: m.exact }
      : m.prefix !== undefined
        ? { prefix: m.prefix }
        : { safeRegex: { regex: m.regex ?? '' } };
  return ignoreCase && m.regex === undefined ? { ...base, ignoreCase: true } : base;
}

/** Istio's cluster names: `outbound|9080|v1|reviews.default.svc.cluster.local`. */
export function outboundClusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export function parseClusterName(
  name: string,
): { direction: string; port: number; subset: string; host: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  return { direction: parts[0]!, port: Number(parts[1]), subset: parts[2]!, host: parts[3]! };
}

export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const HTTP_PROXY_ROUTE = 'http_proxy';
export const HTTP_PROXY_PORT = 15001;

export const FILTER_FAULT = 'envoy.filters.http.fault';
export const FILTER_CORS = 'envoy.filters.http.cors';
export const FILTER_ROUTER = 'envoy.filters.http.router';
export const FILTER_HCM = 'envoy.filters.network.http_connection_manager';
export const FILTER_TCP_PROXY = 'envoy.filters.network.tcp_proxy';
export const CORS_POLICY_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
export const CORS_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
export const HTTP_PROTOCOL_OPTIONS_TYPE =
  'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const UPSTREAM_TLS_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
export const TLS_INSPECTOR_TYPE =
  'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
export const PREVIOUS_HOSTS_TYPE =
  'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';
export const PREVIOUS_PRIORITIES_TYPE =
  'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig';
