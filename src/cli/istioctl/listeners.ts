// `proxy-config listener`: istioctl's verbose listener table, one row per filter chain: ADDRESSES,
// PORT, MATCH (SNI, transport, ALPN, destination address) and DESTINATION (route, cluster, …).
import { renderTable } from '../render/table.ts';
import type { Json } from './json.ts';
import { dumpSection, list, num, obj, str, strings } from './json.ts';
import { describeRouteMatch } from './names.ts';

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

export interface ListenerFilter {
  readonly address?: string;
  readonly port?: number;
  readonly type?: string;
}

export function dumpListeners(dump: unknown): Json[] {
  const section = dumpSection(dump, 'ListenersConfigDump');
  return [
    ...list(section, 'dynamic_listeners').map((l) => obj(l, 'active_state', 'listener')),
    ...list(section, 'static_listeners').map((l) => obj(l, 'listener')),
  ].filter((l): l is Json => l !== undefined);
}

const address = (l: Json) => str(l, 'address', 'socket_address', 'address') ?? '';
const port = (l: Json) => num(l, 'address', 'socket_address', 'port_value') ?? 0;

function addresses(l: Json): string {
  const extra = list(l, 'additional_addresses').map(
    (a) => str(a, 'address', 'socket_address', 'address') ?? '',
  );
  return [address(l), ...extra].join(',');
}

/** A listener's filter chains, its default chain last. */
export function filterChains(l: Json): Json[] {
  const d = obj(l, 'default_filter_chain');
  return [...list(l, 'filter_chains'), ...(d ? [d] : [])];
}

const isFilter = (f: Json, name: string) => str(f, 'name') === name;
const blackHole = (f: Json) => JSON.stringify(f).includes('BlackHoleCluster');

/** HTTP, TCP, HTTP+TCP or UNKNOWN, as istioctl classifies a listener. */
function listenerType(l: Json): string {
  let http = 0;
  let tcp = 0;
  for (const fc of filterChains(l))
    for (const f of list(fc, 'filters')) {
      if (isFilter(f, HCM)) http++;
      else if (isFilter(f, TCP_PROXY) && !blackHole(f)) tcp++;
    }
  if (http > 0) return tcp === 0 ? 'HTTP' : 'HTTP+TCP';
  return tcp > 0 ? 'TCP' : 'UNKNOWN';
}

export function filterListeners(listeners: readonly Json[], f: ListenerFilter): Json[] {
  return listeners.filter((l) => {
    if (f.address && address(l).toLowerCase() !== f.address.toLowerCase()) return false;
    if (f.port && port(l) !== f.port) return false;
    if (f.type && listenerType(l).toLowerCase() !== f.type.toLowerCase()) return false;
    return true;
  });
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const ALPN_NAMES: [string, string[]][] = [
  ['App: HTTP TLS', ['http/1.0', 'http/1.1', 'h2c', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['App: Istio HTTP Plain', ['istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['App: TCP TLS', ['istio-peer-exchange', 'istio']],
  ['App: HTTP', ['http/1.0', 'http/1.1', 'h2c']],
];

function describeChainMatch(fc: Json): string {
  const m = obj(fc, 'filter_chain_match') ?? {};
  const d: string[] = [];
  const names = strings(m, 'server_names');
  if (names.length) d.push(`SNI: ${names.join(',')}`);
  const transport = str(m, 'transport_protocol');
  if (transport) d.push(`Trans: ${transport}`);
  const alpn = strings(m, 'application_protocols');
  if (alpn.length) d.push(ALPN_NAMES.find(([, p]) => same(p, alpn))?.[0] ?? `App: ${alpn.join(',')}`);
  const dport = num(m, 'destination_port');
  const portText = dport === undefined ? '' : `:${dport}`;
  const prefixes = list(m, 'prefix_ranges').map(
    (p) => `${str(p, 'address_prefix') ?? ''}/${num(p, 'prefix_len') ?? 0}`,
  );
  if (prefixes.length) d.push(`Addr: ${prefixes.join(',')}${portText}`);
  else if (portText) d.push(`Addr: *${portText}`);
  return d.length ? d.join('; ') : 'ALL';
}

function clusterText(cluster: string): string {
  return cluster.includes('Cluster') ? cluster : `Cluster: ${cluster}`;
}

/** An inline route configuration in one phrase: its only cluster, or its hosts and matches. */
function describeInlineRoutes(rc: Json): string {
  const vhosts = list(rc, 'virtual_hosts');
  const only = vhosts[0];
  const routes = list(only, 'routes');
  const domains = strings(only, 'domains');
  const cluster = str(routes[0], 'route', 'cluster');
  if (
    vhosts.length === 1 &&
    same(domains, ['*']) &&
    routes.length === 1 &&
    str(routes[0], 'match', 'prefix') === '/' &&
    cluster
  )
    return clusterText(cluster);
  const parts = vhosts.map((vh) => {
    const ds = strings(vh, 'domains');
    const matches = list(vh, 'routes')
      .map((r) => describeRouteMatch(obj(r, 'match')))
      .join(', ');
    return same(ds, ['*']) ? matches : `${ds.join('/')} ${matches}`;
  });
  return `Inline Route: ${parts.join('; ')}`;
}

function destination(fc: Json): string {
  for (const f of list(fc, 'filters')) {
    const config = obj(f, 'typed_config');
    if (isFilter(f, HCM)) {
      const inline = obj(config, 'route_config');
      if (inline) return describeInlineRoutes(inline);
      const rds = str(config, 'rds', 'route_config_name');
      return rds ? `Route: ${rds}` : 'HTTP';
    }
    if (isFilter(f, TCP_PROXY) && !blackHole(f)) return clusterText(str(config, 'cluster') ?? '');
  }
  return 'Non-HTTP/Non-TCP';
}

export function listenerTable(listeners: readonly Json[], options: { typePrefix?: boolean } = {}): string[] {
  const sorted = [...listeners].sort(
    (a, b) =>
      port(a) - port(b) ||
      (address(a) < address(b) ? -1 : address(a) > address(b) ? 1 : 0) ||
      (listenerType(a) < listenerType(b) ? -1 : listenerType(a) > listenerType(b) ? 1 : 0),
  );
  const rows: string[][] = [['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION']];
  for (const l of sorted) {
    const matches = filterChains(l)
      .map((fc) => ({ match: describeChainMatch(fc), destination: destination(fc) }))
      .sort((a, b) => (a.destination > b.destination ? -1 : a.destination < b.destination ? 1 : 0));
    const first = options.typePrefix ? `listener/${addresses(l)}` : addresses(l);
    for (const m of matches) rows.push([first, String(port(l)), m.match, m.destination]);
  }
  return renderTable(rows, 1);
}
