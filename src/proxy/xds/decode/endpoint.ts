// ClusterLoadAssignment → endpoints with health, weight, locality and priority.
import type { Obj } from './read.ts';
import { Reader, deepFreeze, num, obj, objs, socketAddress, str, wrapped } from './read.ts';

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

export interface EndpointConfig {
  readonly host: string;
  readonly port: number;
  readonly hostname: string;
  readonly health: HealthStatus;
  readonly weight: number;
  readonly locality: Locality;
  readonly localityWeight: number;
  readonly priority: number;
  readonly metadata: Obj | undefined;
}

export interface LoadAssignment {
  readonly clusterName: string;
  readonly endpoints: readonly EndpointConfig[];
  readonly overprovisioningFactor: number;
  readonly raw: Obj;
}

export function decodeLoadAssignment(raw: Obj, resourceName?: string): LoadAssignment {
  const clusterName = str(raw, 'clusterName') ?? resourceName ?? '';
  const r = new Reader(`ClusterLoadAssignment ${clusterName}`);
  if (!clusterName) r.fail('cluster_name', 'is required');
  const endpoints: EndpointConfig[] = [];
  objs(raw, 'endpoints').forEach((le, i) => {
    const loc = obj(le, 'locality') ?? {};
    const locality = {
      region: str(loc, 'region') ?? '',
      zone: str(loc, 'zone') ?? '',
      subZone: str(loc, 'subZone') ?? '',
    };
    const localityWeight = wrapped(le, 'loadBalancingWeight') ?? 1;
    const priority = num(le, 'priority') ?? 0;
    objs(le, 'lbEndpoints').forEach((lb, j) => {
      const path = `endpoints[${i}].lb_endpoints[${j}]`;
      const ep = obj(lb, 'endpoint');
      if (!ep) return r.fail(`${path}.endpoint`, 'is required');
      const addr = socketAddress(r, obj(ep, 'address'), `${path}.endpoint.address`);
      if (addr.port === 0) r.fail(`${path}.endpoint.address.socket_address.port_value`, 'must not be 0');
      const weight = wrapped(lb, 'loadBalancingWeight') ?? 1;
      if (weight < 1) r.fail(`${path}.load_balancing_weight`, 'must be at least 1');
      endpoints.push({
        host: addr.host,
        port: addr.port,
        hostname: str(ep, 'hostname') ?? '',
        health: (str(lb, 'healthStatus') as HealthStatus | undefined) ?? 'UNKNOWN',
        weight,
        locality,
        localityWeight,
        priority,
        metadata: obj(lb, 'metadata'),
      });
    });
  });
  const policy = obj(raw, 'policy');
  return deepFreeze({
    clusterName,
    endpoints,
    overprovisioningFactor: (policy && wrapped(policy, 'overprovisioningFactor')) ?? 140,
    raw,
  });
}
