// A connected proxy as the control plane sees it: identity from the xDS node (id, cluster,
// metadata in Istio's keys), plus its own workload found in the registry by address.
import type { RegistryView, Workload } from '../registry/index.ts';
import { CaravelError } from '../errors/index.ts';

export type ProxyType = 'sidecar' | 'router';

export interface Proxy {
  readonly id: string;
  readonly type: ProxyType;
  readonly ip: string;
  readonly podName: string;
  readonly namespace: string;
  readonly dnsDomain: string;
  readonly cluster: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** Proxyless gRPC (node metadata GENERATOR "grpc"). */
  readonly grpc: boolean;
  /** "NONE" in local mode: listeners bind explicit pod addresses. */
  readonly interceptionMode: string;
  readonly istioVersion: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly locality?: { region: string; zone: string; subZone: string };
  /** The proxy's own pod in the registry, if known. */
  workload?: Workload;
}

export class BadNodeError extends CaravelError {
  constructor(message: string) {
    super('XDS_BAD_NODE', message, {
      hint: 'node.id must look like sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local',
    });
  }
}

interface StructValue {
  readonly nullValue?: unknown;
  readonly numberValue?: number;
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly structValue?: { fields?: Record<string, StructValue> };
  readonly listValue?: { values?: StructValue[] };
}

/** google.protobuf.Struct (as proto-loader decodes it) → plain JSON. */
export function structToJson(
  s: { fields?: Record<string, StructValue> } | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = valueToJson(v);
  return out;
}

function valueToJson(v: StructValue): unknown {
  if (v.structValue !== undefined) return structToJson(v.structValue);
  if (v.listValue !== undefined) return (v.listValue.values ?? []).map(valueToJson);
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return null;
}

export interface NodeInfo {
  readonly id?: string;
  readonly cluster?: string;
  readonly metadata?: { fields?: Record<string, StructValue> };
  readonly locality?: { region?: string; zone?: string; subZone?: string };
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Builds the proxy model from the first DiscoveryRequest's node. */
export function proxyFromNode(node: NodeInfo | undefined, registry: RegistryView): Proxy {
  const id = node?.id ?? '';
  const metadata = structToJson(node?.metadata);
  const grpc = metadata.GENERATOR === 'grpc';
  const parts = id.split('~');
  let type: ProxyType = 'sidecar';
  let ip = '';
  let podName = '';
  let namespace = typeof metadata.NAMESPACE === 'string' ? metadata.NAMESPACE : '';
  let dnsDomain = '';
  if (parts.length === 4) {
    if (parts[0] !== 'sidecar' && parts[0] !== 'router')
      throw new BadNodeError(`unknown proxy type "${parts[0]}" in node id "${id}"`);
    type = parts[0];
    ip = parts[1]!;
    const dot = parts[2]!.lastIndexOf('.');
    podName = dot > 0 ? parts[2]!.slice(0, dot) : parts[2]!;
    if (!namespace && dot > 0) namespace = parts[2]!.slice(dot + 1);
    dnsDomain = parts[3]!;
  } else if (!grpc) {
    throw new BadNodeError(`node id "${id}" is not in the form <type>~<ip>~<pod>.<namespace>~<domain>`);
  }
  const instanceIps = typeof metadata.INSTANCE_IPS === 'string' ? metadata.INSTANCE_IPS.split(',') : [];
  if (!ip) ip = instanceIps[0] ?? '';
  if (!namespace) namespace = 'default';
  if (!podName && typeof metadata.NAME === 'string') podName = metadata.NAME;
  const workload = ip ? registry.workloadByAddress(ip) : undefined;
  const labels = { ...(workload?.labels ?? {}), ...stringRecord(metadata.LABELS) };
  const loc = node?.locality;
  const locality =
    loc && (loc.region || loc.zone)
      ? { region: loc.region ?? '', zone: loc.zone ?? '', subZone: loc.subZone ?? '' }
      : workload?.locality;
  return {
    id,
    type,
    ip,
    podName,
    namespace,
    dnsDomain: dnsDomain || `${namespace}.svc.cluster.local`,
    cluster: node?.cluster ?? '',
    labels,
    serviceAccount:
      typeof metadata.SERVICE_ACCOUNT === 'string'
        ? metadata.SERVICE_ACCOUNT
        : (workload?.serviceAccount ?? 'default'),
    grpc,
    interceptionMode:
      typeof metadata.INTERCEPTION_MODE === 'string' ? metadata.INTERCEPTION_MODE : 'REDIRECT',
    istioVersion: typeof metadata.ISTIO_VERSION === 'string' ? metadata.ISTIO_VERSION : '',
    metadata,
    ...(locality ? { locality } : {}),
    ...(workload ? { workload } : {}),
  };
}
