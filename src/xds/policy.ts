// DestinationRule traffic policies: the effective policy for one cluster (host, subset, port),
// merged the way Istio merges them, and its translation onto an Envoy cluster.
import type { MeshService, ServicePort } from '../registry/index.ts';
import { isHttp2 } from '../registry/index.ts';
import type { DestinationRule, TrafficPolicy } from './istio.ts';
import type { Json } from './envoy-util.ts';
import {
  ADS_CONFIG,
  duration,
  HTTP_PROTOCOL_OPTIONS_KEY,
  HTTP_PROTOCOL_OPTIONS_TYPE,
  MAX_U32,
  u32,
  UPSTREAM_TLS_TYPE,
} from './envoy-util.ts';

type Sections = Pick<TrafficPolicy, 'connectionPool' | 'loadBalancer' | 'outlierDetection' | 'tls'>;

function portLevel(policy: TrafficPolicy | undefined, port: number): Sections | undefined {
  return policy?.portLevelSettings?.find((p) => p.port?.number === port);
}

/** Istio's MergeTrafficPolicy: host-level (with its port-level settings for `port` applied), then
 * the subset's sections, then the subset's port-level settings, which replace all four sections. */
export function effectivePolicy(dr: DestinationRule | undefined, subset: string, port: number): Sections {
  const top = dr?.spec.trafficPolicy;
  let merged: Sections = { ...pick(top) };
  const topPort = portLevel(top, port);
  if (topPort) merged = pick(topPort);
  const sub = subset ? dr?.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy : undefined;
  if (sub) {
    for (const k of ['connectionPool', 'loadBalancer', 'outlierDetection', 'tls'] as const)
      if (sub[k] !== undefined) (merged as Record<string, unknown>)[k] = sub[k];
    const subPort = portLevel(sub, port);
    if (subPort) merged = pick(subPort);
  }
  return merged;
}

function pick(p: Sections | undefined): Sections {
  const out: Record<string, unknown> = {};
  if (p?.connectionPool) out.connectionPool = p.connectionPool;
  if (p?.loadBalancer) out.loadBalancer = p.loadBalancer;
  if (p?.outlierDetection) out.outlierDetection = p.outlierDetection;
  if (p?.tls) out.tls = p.tls;
  return out as Sections;
}

/** Labels of a subset, or undefined when the subset is not defined by the rule. */
export function subsetLabels(
  dr: DestinationRule | undefined,
  subset: string,
): Readonly<Record<string, string>> | undefined {
  if (!subset) return {};
  const s = dr?.spec.subsets?.find((x) => x.name === subset);
  return s ? (s.labels ?? {}) : undefined;
}

export interface ClusterPolicyContext {
  readonly service: MeshService;
  readonly port: ServicePort;
  readonly subset: string;
  readonly sni: string;
  /** Proxyless gRPC understands a narrower set of fields. */
  readonly grpc: boolean;
}

/** Writes the policy's fields onto `cluster` (Istio's applyTrafficPolicy). */
export function applyPolicy(cluster: Json, policy: Sections, ctx: ClusterPolicyContext): void {
  const thresholds: Json = {
    maxConnections: u32(MAX_U32),
    maxPendingRequests: u32(MAX_U32),
    maxRequests: u32(MAX_U32),
    maxRetries: u32(MAX_U32),
    trackRemaining: true,
  };
  const common: Json = {};
  const tcp = policy.connectionPool?.tcp;
  const http = policy.connectionPool?.http;
  if (tcp?.maxConnections) thresholds.maxConnections = u32(tcp.maxConnections);
  if (tcp?.connectTimeout) cluster.connectTimeout = duration(tcp.connectTimeout);
  if (tcp?.maxConnectionDuration) common.maxConnectionDuration = duration(tcp.maxConnectionDuration);
  if (tcp?.tcpKeepalive) {
    const k = tcp.tcpKeepalive;
    cluster.upstreamConnectionOptions = {
      tcpKeepalive: {
        ...(k.probes ? { keepaliveProbes: u32(k.probes) } : {}),
        ...(k.time ? { keepaliveTime: u32(Math.floor(k.time / 1000)) } : {}),
        ...(k.interval ? { keepaliveInterval: u32(Math.floor(k.interval / 1000)) } : {}),
      },
    };
  }
  if (http?.http1MaxPendingRequests) thresholds.maxPendingRequests = u32(http.http1MaxPendingRequests);
  if (http?.http2MaxRequests) thresholds.maxRequests = u32(http.http2MaxRequests);
  if (http?.maxRetries) thresholds.maxRetries = u32(http.maxRetries);
  if (http?.maxRequestsPerConnection) common.maxRequestsPerConnection = u32(http.maxRequestsPerConnection);
  if (http?.idleTimeout) common.idleTimeout = duration(http.idleTimeout);
  cluster.circuitBreakers = { thresholds: [thresholds] };

  const http2 =
    http?.h2UpgradePolicy === 'UPGRADE' ||
    (isHttp2(ctx.port.protocol) && http?.h2UpgradePolicy !== 'DO_NOT_UPGRADE');
  if (!ctx.grpc && (Object.keys(common).length > 0 || http2 || http?.useClientProtocol)) {
    const options: Json = {
      '@type': HTTP_PROTOCOL_OPTIONS_TYPE,
      ...(Object.keys(common).length ? { commonHttpProtocolOptions: common } : {}),
    };
    if (http?.useClientProtocol)
      options.useDownstreamProtocolConfig = { httpProtocolOptions: {}, http2ProtocolOptions: {} };
    else
      options.explicitHttpConfig = http2
        ? {
            http2ProtocolOptions: http?.maxConcurrentStreams
              ? { maxConcurrentStreams: u32(http.maxConcurrentStreams) }
              : {},
          }
        : { httpProtocolOptions: {} };
    cluster.typedExtensionProtocolOptions = { [HTTP_PROTOCOL_OPTIONS_KEY]: options };
  }

  applyLoadBalancer(cluster, policy, ctx);
  if (policy.outlierDetection) applyOutlierDetection(cluster, policy.outlierDetection);
  if (policy.tls && !ctx.grpc) applyTls(cluster, policy.tls, ctx);
}

function applyLoadBalancer(cluster: Json, policy: Sections, ctx: ClusterPolicyContext): void {
  const lb = policy.loadBalancer;
  const hash = lb?.consistentHash;
  if (hash) {
    if (hash.maglev && !ctx.grpc) {
      cluster.lbPolicy = 'MAGLEV';
      cluster.maglevLbConfig = { tableSize: u32(hash.maglev.tableSize) };
    } else {
      cluster.lbPolicy = 'RING_HASH';
      const min = hash.ringHash?.minimumRingSize ?? hash.minimumRingSize ?? 1024;
      cluster.ringHashLbConfig = { minimumRingSize: { value: String(min) } };
    }
    return;
  }
  switch (lb?.simple) {
    case 'LEAST_CONN':
    case 'LEAST_REQUEST':
      // Proxyless gRPC has no least-request policy in the lb_policy enum it accepts.
      if (!ctx.grpc) cluster.lbPolicy = 'LEAST_REQUEST';
      break;
    case 'RANDOM':
      if (!ctx.grpc) cluster.lbPolicy = 'RANDOM';
      break;
    case 'PASSTHROUGH':
      if (!ctx.grpc) {
        cluster.type = 'ORIGINAL_DST';
        cluster.lbPolicy = 'CLUSTER_PROVIDED';
        delete cluster.edsClusterConfig;
      }
      break;
    default:
      break;
  }
  if (lb?.localityLbSetting?.distribute?.length && lb.localityLbSetting.enabled !== false)
    cluster.commonLbConfig = { ...((cluster.commonLbConfig as Json) ?? {}), localityWeightedLbConfig: {} };
}

type Outlier = NonNullable<Sections['outlierDetection']>;

/** Istio's applyOutlierDetection, field for field. */
function applyOutlierDetection(cluster: Json, o: Outlier): void {
  const out: Json = { enforcingSuccessRate: u32(0) };
  if (o.consecutiveErrors !== undefined && o.consecutiveErrors > 0) {
    // The deprecated field counts gateway errors only.
    out.consecutiveGatewayFailure = u32(o.consecutiveErrors);
    out.enforcingConsecutiveGatewayFailure = u32(100);
    out.enforcingConsecutive_5xx = u32(0);
  }
  if (o.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = u32(o.consecutive5xxErrors);
    out.enforcingConsecutive_5xx = u32(o.consecutive5xxErrors > 0 ? 100 : 0);
  }
  if (o.consecutiveGatewayErrors !== undefined) {
    out.consecutiveGatewayFailure = u32(o.consecutiveGatewayErrors);
    out.enforcingConsecutiveGatewayFailure = u32(o.consecutiveGatewayErrors > 0 ? 100 : 0);
  }
  if (o.interval !== undefined) out.interval = duration(o.interval);
  if (o.baseEjectionTime !== undefined) out.baseEjectionTime = duration(o.baseEjectionTime);
  if (o.maxEjectionPercent) out.maxEjectionPercent = u32(o.maxEjectionPercent);
  if (o.splitExternalLocalOriginErrors) {
    out.splitExternalLocalOriginErrors = true;
    if (o.consecutiveLocalOriginFailures) {
      out.consecutiveLocalOriginFailure = u32(o.consecutiveLocalOriginFailures);
      out.enforcingConsecutiveLocalOriginFailure = u32(100);
    }
    out.enforcingLocalOriginSuccessRate = u32(0);
  }
  cluster.outlierDetection = out;
  // Istio turns the panic threshold off unless minHealthPercent says otherwise.
  cluster.commonLbConfig = {
    ...((cluster.commonLbConfig as Json) ?? {}),
    healthyPanicThreshold: { value: o.minHealthPercent ?? 0 },
  };
}

type Tls = NonNullable<Sections['tls']>;

function applyTls(cluster: Json, tls: Tls, ctx: ClusterPolicyContext): void {
  const mode = tls.mode ?? 'DISABLE';
  if (mode === 'DISABLE') return;
  const common: Json = {};
  const sans = (tls.subjectAltNames ?? []).map((s) => ({ sanType: 'URI', matcher: { exact: s } }));
  if (mode === 'ISTIO_MUTUAL') {
    common.tlsCertificateSdsSecretConfigs = [{ name: 'default', sdsConfig: ADS_CONFIG }];
    common.combinedValidationContext = {
      defaultValidationContext: sans.length ? { matchTypedSubjectAltNames: sans } : {},
      validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: ADS_CONFIG },
    };
    common.alpnProtocols = ['istio-peer-exchange', 'istio'];
  } else {
    if (tls.credentialName) {
      common.tlsCertificateSdsSecretConfigs =
        mode === 'MUTUAL' ? [{ name: `kubernetes://${tls.credentialName}`, sdsConfig: ADS_CONFIG }] : [];
      if (!tls.insecureSkipVerify)
        common.validationContextSdsSecretConfig = {
          name: `kubernetes://${tls.credentialName}-cacert`,
          sdsConfig: ADS_CONFIG,
        };
    } else {
      if (mode === 'MUTUAL' && tls.clientCertificate && tls.privateKey)
        common.tlsCertificates = [
          { certificateChain: { filename: tls.clientCertificate }, privateKey: { filename: tls.privateKey } },
        ];
      if (!tls.insecureSkipVerify && (tls.caCertificates || sans.length))
        common.validationContext = {
          ...(tls.caCertificates ? { trustedCa: { filename: tls.caCertificates } } : {}),
          ...(sans.length ? { matchTypedSubjectAltNames: sans } : {}),
        };
    }
  }
  const sni =
    tls.sni ??
    (mode === 'ISTIO_MUTUAL' ? ctx.sni : ctx.service.meshExternal ? ctx.service.hostname : undefined);
  cluster.transportSocket = {
    name: 'envoy.transport_sockets.tls',
    typedConfig: { '@type': UPSTREAM_TLS_TYPE, commonTlsContext: common, ...(sni ? { sni } : {}) },
  };
}

/** Istio's SNI for ISTIO_MUTUAL: `outbound_.9080_.v1_.reviews.default.svc.cluster.local`. */
export function istioSni(port: number, subset: string, host: string): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}
