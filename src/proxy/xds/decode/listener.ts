// Listener → address, filter chains with their match criteria and terminal network filter.
import type { Obj } from './read.ts';
import {
  Reader,
  bool,
  deepFreeze,
  durationMs,
  num,
  obj,
  objs,
  socketAddress,
  str,
  strs,
  wrappedBool,
} from './read.ts';
import { decodeNetworkFilters } from './hcm.ts';
import type { NetworkFilterConfig } from './hcm.ts';
import { decodeDownstreamTls, DOWNSTREAM_TLS_TYPE } from '../../listener/tls.ts';
import type { DownstreamTls } from '../../listener/tls.ts';

export interface ChainMatch {
  readonly destinationPort: number | undefined;
  readonly serverNames: readonly string[];
  readonly transportProtocol: string;
  readonly applicationProtocols: readonly string[];
  readonly sourcePrefixes: readonly { readonly prefix: string; readonly length: number }[];
}

export interface FilterChainConfig {
  readonly name: string;
  readonly match: ChainMatch;
  readonly network: NetworkFilterConfig;
  /** TLS termination (DownstreamTlsContext transport socket). */
  readonly tls: DownstreamTls | undefined;
}

export interface ListenerConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `listener.<this>.` stats prefix: stat_prefix, else `<address>_<port>`. */
  readonly statName: string;
  readonly filterChains: readonly FilterChainConfig[];
  readonly defaultFilterChain: FilterChainConfig | undefined;
  /** Whether the first bytes must be read before choosing a chain (TLS/ALPN/HTTP inspection). */
  readonly inspect: boolean;
  readonly listenerFiltersTimeoutMs: number;
  readonly continueOnListenerFiltersTimeout: boolean;
  /** False for listeners that only receive connections handed over by another (Istio's virtual listeners). */
  readonly bindToPort: boolean;
  /** Istio's local-mode HTTP_PROXY listener: absolute-form requests and CONNECT. */
  readonly raw: Obj;
}

function decodeChain(r: Reader, c: Obj, path: string): FilterChainConfig {
  const m = obj(c, 'filterChainMatch') ?? {};
  const dp = obj(m, 'destinationPort');
  const transport = obj(c, 'transportSocket');
  const tls = transport && obj(transport, 'typedConfig');
  return {
    name: str(c, 'name') ?? '',
    match: {
      destinationPort: dp ? (num(dp, 'value') ?? 0) : undefined,
      serverNames: strs(m, 'serverNames').map((s) => s.toLowerCase()),
      transportProtocol: str(m, 'transportProtocol') ?? '',
      applicationProtocols: strs(m, 'applicationProtocols'),
      sourcePrefixes: objs(m, 'sourcePrefixRanges').map((p) => ({
        prefix: str(p, 'addressPrefix') ?? '',
        length: obj(p, 'prefixLen') ? (num(obj(p, 'prefixLen')!, 'value') ?? 0) : 32,
      })),
    },
    network: decodeNetworkFilters(r, objs(c, 'filters'), `${path}.filters`),
    tls:
      tls && str(tls, '@type') === DOWNSTREAM_TLS_TYPE
        ? decodeDownstreamTls(r, tls, `${path}.transport_socket.typed_config`)
        : undefined,
  };
}

export function decodeListener(raw: Obj, resourceName?: string): ListenerConfig {
  const name = str(raw, 'name') ?? '';
  const r = new Reader(`Listener ${resourceName ?? name}`);
  if (!name) r.fail('name', 'is required');
  const addr = socketAddress(r, obj(raw, 'address'), 'address');
  const chains = objs(raw, 'filterChains').map((c, i) => decodeChain(r, c, `filter_chains[${i}]`));
  const dfc = obj(raw, 'defaultFilterChain');
  const defaultFilterChain = dfc ? decodeChain(r, dfc, 'default_filter_chain') : undefined;
  if (chains.length === 0 && !defaultFilterChain) r.fail('filter_chains', 'needs at least one filter chain');
  const seen = new Set<string>();
  chains.forEach((c, i) => {
    const key = JSON.stringify(c.match);
    if (seen.has(key))
      r.fail(`filter_chains[${i}].filter_chain_match`, 'duplicates the match of an earlier filter chain');
    seen.add(key);
  });
  const listenerFilterNames = objs(raw, 'listenerFilters').map((f) => str(f, 'name') ?? '');
  const needsPeek =
    listenerFilterNames.some((n) => n.includes('tls_inspector') || n.includes('http_inspector')) ||
    chains.some(
      (c) =>
        c.match.serverNames.length > 0 ||
        c.match.transportProtocol !== '' ||
        c.match.applicationProtocols.length > 0,
    );
  return deepFreeze({
    name,
    host: addr.host,
    port: addr.port,
    statName: str(raw, 'statPrefix') || `${addr.host}_${addr.port}`,
    filterChains: chains,
    defaultFilterChain,
    inspect: needsPeek,
    listenerFiltersTimeoutMs: durationMs(raw, 'listenerFiltersTimeout') ?? 15_000,
    continueOnListenerFiltersTimeout: bool(raw, 'continueOnListenerFiltersTimeout') ?? false,
    bindToPort: wrappedBool(raw, 'bindToPort') ?? true,
    raw,
  });
}
