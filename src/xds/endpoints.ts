// EDS: one ClusterLoadAssignment per outbound cluster, the ready endpoints of the service port
// (narrowed to the subset's labels), grouped by locality; with a locality load-balancer setting
// and outlier detection, localities get Istio's failover priorities or distribute weights.
import { structOf } from '../envoy/index.ts';
import type { Endpoint, Locality } from '../registry/index.ts';
import { selectorMatches } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import { parseClusterName, socketAddress, u32 } from './envoy-util.ts';
import { effectivePolicy, subsetLabels } from './policy.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext } from './push-context.ts';

const localityKey = (l: Locality | undefined) => (l ? `${l.region}/${l.zone}/${l.subZone}` : '');

export function buildLoadAssignment(proxy: Proxy, push: PushContext, clusterName: string): Json {
  const parsed = parseClusterName(clusterName);
  if (!parsed || parsed.direction !== 'outbound') return { clusterName, endpoints: [] };
  const dr = push.destinationRule(proxy.namespace, parsed.host);
  const labels = subsetLabels(dr, parsed.subset);
  if (!labels) return { clusterName, endpoints: [] };
  const eps = push.registry
    .endpoints(parsed.host)
    .filter((e) => e.servicePort.port === parsed.port && e.ready && selectorMatches(labels, e.labels));
  const groups = new Map<string, Endpoint[]>();
  for (const e of eps) {
    const k = localityKey(e.locality);
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const policy = effectivePolicy(dr, parsed.subset, parsed.port);
  const locality = policy.loadBalancer?.localityLbSetting;
  const localityAware = Boolean(policy.outlierDetection) && locality?.enabled !== false && proxy.locality;
  const out: Json[] = [];
  for (const [k, list] of groups) {
    const loc = list[0]!.locality;
    const entry: Json = {
      // Always present: proxyless gRPC rejects a locality group without one.
      locality: loc ? { region: loc.region, zone: loc.zone, subZone: loc.subZone } : {},
      lbEndpoints: list.map((e) => ({
        endpoint: { address: socketAddress(e.address, e.port) },
        healthStatus: 'HEALTHY',
        loadBalancingWeight: u32(e.weight),
        metadata: {
          filterMetadata: {
            istio: structOf({ workload: `${e.workloadName};${e.namespace};;;`, namespace: e.namespace }),
          },
        },
      })),
      loadBalancingWeight: u32(list.reduce((n, e) => n + e.weight, 0)),
    };
    if (localityAware && proxy.locality) {
      const distribute = locality?.distribute?.find((d) =>
        localityMatches(d.from, localityKey(proxy.locality)),
      );
      if (distribute) {
        const weight =
          Object.entries(distribute.to).find(([pattern]) => localityMatches(pattern, k))?.[1] ?? 0;
        entry.loadBalancingWeight = u32(weight);
      } else if (!locality?.distribute?.length) {
        entry.priority = failoverPriority(proxy.locality, loc);
      }
    }
    out.push(entry);
  }
  // Envoy wants priorities numbered from 0 without gaps.
  const ranks = [...new Set(out.map((e) => (e.priority as number | undefined) ?? 0))].sort((a, b) => a - b);
  for (const e of out) if (e.priority !== undefined) e.priority = ranks.indexOf(e.priority as number);
  return {
    clusterName,
    endpoints: out.filter((e) => (e.loadBalancingWeight as { value: number }).value > 0),
  };
}

function localityMatches(pattern: string, key: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return key.startsWith(pattern.slice(0, -1));
  return key === pattern || key.startsWith(`${pattern}/`);
}

/** Istio's default failover: same subzone 0, same zone 1, same region 2, anywhere else 3. */
function failoverPriority(proxy: Locality, ep: Locality | undefined): number {
  if (!ep || ep.region !== proxy.region) return 3;
  if (ep.zone !== proxy.zone) return 2;
  if (ep.subZone !== proxy.subZone) return 1;
  return 0;
}
