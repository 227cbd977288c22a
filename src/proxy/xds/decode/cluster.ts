// Cluster → typed cluster config: discovery type, LB policy, thresholds, protocol, timeouts.
import { decodeLoadAssignment } from './endpoint.ts';
import { decodeUpstreamTls, UPSTREAM_TLS_TYPE } from '../../listener/tls.ts';
import type { UpstreamTls } from '../../listener/tls.ts';
import { stringMatcher } from '../../router/matchers.ts';
import type { LoadAssignment } from './endpoint.ts';
import { decodeOutlier } from '../../upstream/outlier.ts';
import type { OutlierConfig } from '../../upstream/outlier.ts';
import type { Obj } from './read.ts';
import { Reader, bool, deepFreeze, durationMs, num, obj, objs, str, wrapped } from './read.ts';

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicyName =
  | 'ROUND_ROBIN'
  | 'LEAST_REQUEST'
  | 'RANDOM'
  | 'RING_HASH'
  | 'MAGLEV'
  | 'CLUSTER_PROVIDED';

export interface Thresholds {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  /** Envoy's retry_budget: when set, it replaces max_retries. */
  readonly retryBudget: { readonly percent: number; readonly minConcurrency: number } | undefined;
  /** Publish circuit_breakers.<priority>.remaining_* gauges. */
  readonly trackRemaining: boolean;
}

export interface ClusterConfig {
  readonly name: string;
  readonly type: DiscoveryType;
  readonly edsServiceName: string;
  readonly connectTimeoutMs: number;
  readonly lbPolicy: LbPolicyName;
  readonly ringHash: { readonly minRingSize: number; readonly maxRingSize: number };
  readonly maglevTableSize: number;
  readonly choiceCount: number;
  readonly thresholds: Thresholds;
  readonly highThresholds: Thresholds;
  readonly http2: boolean;
  readonly maxRequestsPerConnection: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  readonly panicThreshold: number;
  readonly localityWeighted: boolean;
  readonly useHttpHeaderForOriginalDst: boolean;
  readonly loadAssignment: LoadAssignment | undefined;
  readonly outlierDetection: OutlierConfig | undefined;
  readonly tls: UpstreamTls | undefined;
  readonly raw: Obj;
}

const DEFAULT_THRESHOLDS: Thresholds = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
  retryBudget: undefined,
  trackRemaining: false,
};
const UPSTREAM_HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function thresholds(list: readonly Obj[], priority: string): Thresholds {
  const t = list.find((x) => (str(x, 'priority') ?? 'DEFAULT') === priority);
  if (!t) return DEFAULT_THRESHOLDS;
  const budget = obj(t, 'retryBudget');
  return {
    maxConnections: wrapped(t, 'maxConnections') ?? DEFAULT_THRESHOLDS.maxConnections,
    maxPendingRequests: wrapped(t, 'maxPendingRequests') ?? DEFAULT_THRESHOLDS.maxPendingRequests,
    maxRequests: wrapped(t, 'maxRequests') ?? DEFAULT_THRESHOLDS.maxRequests,
    maxRetries: wrapped(t, 'maxRetries') ?? DEFAULT_THRESHOLDS.maxRetries,
    retryBudget: budget && {
      percent: (obj(budget, 'budgetPercent') && num(obj(budget, 'budgetPercent')!, 'value')) ?? 20,
      minConcurrency: wrapped(budget, 'minRetryConcurrency') ?? 3,
    },
    trackRemaining: bool(t, 'trackRemaining') ?? false,
  };
}

function protocolOptions(raw: Obj): {
  http2: boolean;
  maxRequestsPerConnection?: number;
  idleTimeoutMs?: number;
} {
  const ext = obj(raw, 'typedExtensionProtocolOptions');
  const opts = ext && Object.entries(ext).find(([k]) => k === UPSTREAM_HTTP_OPTIONS)?.[1];
  let http2 = obj(raw, 'http2ProtocolOptions') !== undefined;
  let common = obj(raw, 'commonHttpProtocolOptions');
  if (opts && typeof opts === 'object') {
    const o = opts as Obj;
    common = obj(o, 'commonHttpProtocolOptions') ?? common;
    const explicit = obj(o, 'explicitHttpConfig');
    if (explicit) http2 = obj(explicit, 'http2ProtocolOptions') !== undefined;
    const auto = obj(o, 'useDownstreamProtocolConfig');
    if (auto) http2 = obj(auto, 'http2ProtocolOptions') !== undefined && !obj(auto, 'httpProtocolOptions');
  }
  return {
    http2,
    maxRequestsPerConnection: common && wrapped(common, 'maxRequestsPerConnection'),
    idleTimeoutMs: common && durationMs(common, 'idleTimeout'),
  };
}

function lbPolicy(r: Reader, raw: Obj): LbPolicyName {
  const p = str(raw, 'lbPolicy') ?? 'ROUND_ROBIN';
  const known: readonly string[] = [
    'ROUND_ROBIN',
    'LEAST_REQUEST',
    'RANDOM',
    'RING_HASH',
    'MAGLEV',
    'CLUSTER_PROVIDED',
  ];
  if (!known.includes(p)) r.fail('lb_policy', `${p} is not supported`);
  return p as LbPolicyName;
}

export function decodeCluster(raw: Obj, resourceName?: string): ClusterConfig {
  const name = str(raw, 'name') ?? '';
  const r = new Reader(`Cluster ${resourceName ?? name}`);
  if (!name) r.fail('name', 'is required');
  const type = (str(raw, 'type') ?? 'STATIC') as DiscoveryType;
  if (!['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'].includes(type))
    r.fail('type', `${type} is not supported`);
  const eds = obj(raw, 'edsClusterConfig');
  const edsConfig = eds && obj(eds, 'edsConfig');
  if (type === 'EDS' && edsConfig && !obj(edsConfig, 'ads'))
    r.fail('eds_cluster_config.eds_config', 'only ADS is supported');
  const la = obj(raw, 'loadAssignment');
  if ((type === 'STRICT_DNS' || type === 'LOGICAL_DNS') && !la)
    r.fail('load_assignment', `is required for ${type} clusters`);
  const policy = lbPolicy(r, raw);
  const ring = obj(raw, 'ringHashLbConfig') ?? {};
  const minRing = wrapped(ring, 'minimumRingSize') ?? 1024;
  const maxRing = wrapped(ring, 'maximumRingSize') ?? 8 * 1024 * 1024;
  if (minRing > maxRing) r.fail('ring_hash_lb_config', 'minimum_ring_size is larger than maximum_ring_size');
  const maglev = obj(raw, 'maglevLbConfig') ?? {};
  const tableSize = wrapped(maglev, 'tableSize') ?? 65537;
  if (!isPrime(tableSize)) r.fail('maglev_lb_config.table_size', `${tableSize} is not a prime number`);
  const lr = obj(raw, 'leastRequestLbConfig') ?? {};
  const cb = obj(raw, 'circuitBreakers') ?? {};
  const common = obj(raw, 'commonLbConfig') ?? {};
  const panic = obj(common, 'healthyPanicThreshold');
  const proto = protocolOptions(raw);
  const connectTimeoutMs = durationMs(raw, 'connectTimeout') ?? 5000;
  if (connectTimeoutMs <= 0) r.fail('connect_timeout', 'must be positive');
  const transport = obj(raw, 'transportSocket');
  const tls = transport && obj(transport, 'typedConfig');
  const odc = obj(raw, 'originalDstLbConfig');
  return deepFreeze({
    name,
    type,
    edsServiceName: (eds && str(eds, 'serviceName')) || name,
    connectTimeoutMs,
    lbPolicy: policy,
    ringHash: { minRingSize: minRing, maxRingSize: maxRing },
    maglevTableSize: tableSize,
    choiceCount: wrapped(lr, 'choiceCount') ?? 2,
    thresholds: thresholds(objs(cb, 'thresholds'), 'DEFAULT'),
    highThresholds: thresholds(objs(cb, 'thresholds'), 'HIGH'),
    http2: proto.http2,
    maxRequestsPerConnection: proto.maxRequestsPerConnection ?? wrapped(raw, 'maxRequestsPerConnection'),
    idleTimeoutMs: proto.idleTimeoutMs,
    panicThreshold: panic ? (num(panic, 'value') ?? 0) : 50,
    localityWeighted: obj(common, 'localityWeightedLbConfig') !== undefined,
    useHttpHeaderForOriginalDst: (odc && bool(odc, 'useHttpHeader')) ?? false,
    loadAssignment: la ? decodeLoadAssignment({ clusterName: name, ...la }, name) : undefined,
    outlierDetection: decodeOutlier(r, obj(raw, 'outlierDetection')),
    tls:
      tls && str(tls, '@type') === UPSTREAM_TLS_TYPE
        ? decodeUpstreamTls(r, tls, 'transport_socket.typed_config', stringMatcher)
        : undefined,
    raw,
  });
}

function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}
