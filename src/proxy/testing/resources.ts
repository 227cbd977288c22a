// Builders of Envoy resources for tests (plain objects packed with src/envoy), shaped like the ones
// the control plane generates for Caravel's sidecars and gateways.
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  HCM_TYPE,
  LISTENER_TYPE,
  packAny,
  ROUTE_TYPE,
  ROUTER_TYPE,
  TCP_PROXY_TYPE,
} from '../../envoy/index.ts';
import type { AnyMessage } from '../../envoy/index.ts';

export type Plain = Record<string, unknown>;

export interface Packed {
  readonly name: string;
  readonly any: AnyMessage;
}

export function socketAddress(host: string, port: number): Plain {
  return { socketAddress: { address: host, portValue: port } };
}

export function cluster(name: string, extra: Plain = {}): Packed {
  return {
    name,
    any: packAny(CLUSTER_TYPE, {
      name,
      type: 'EDS',
      connectTimeout: { seconds: '1' },
      edsClusterConfig: { edsConfig: { ads: {} }, serviceName: name },
      ...extra,
    }),
  };
}

export function staticCluster(
  name: string,
  endpoints: readonly [string, number][],
  extra: Plain = {},
): Packed {
  return {
    name,
    any: packAny(CLUSTER_TYPE, {
      name,
      type: 'STATIC',
      connectTimeout: { seconds: '1' },
      loadAssignment: {
        clusterName: name,
        endpoints: [
          { lbEndpoints: endpoints.map(([h, p]) => ({ endpoint: { address: socketAddress(h, p) } })) },
        ],
      },
      ...extra,
    }),
  };
}

export interface EndpointSpec {
  readonly host: string;
  readonly port: number;
  readonly health?: string;
  readonly weight?: number;
  readonly zone?: string;
  readonly localityWeight?: number;
  readonly priority?: number;
}

export function endpoints(clusterName: string, eps: readonly EndpointSpec[]): Packed {
  const byLocality = new Map<string, EndpointSpec[]>();
  for (const e of eps) {
    const key = `${e.zone ?? ''}|${e.priority ?? 0}`;
    byLocality.set(key, [...(byLocality.get(key) ?? []), e]);
  }
  return {
    name: clusterName,
    any: packAny(ENDPOINT_TYPE, {
      clusterName,
      endpoints: [...byLocality.values()].map((group) => ({
        locality: { zone: group[0]!.zone ?? '' },
        priority: group[0]!.priority ?? 0,
        ...(group[0]!.localityWeight ? { loadBalancingWeight: { value: group[0]!.localityWeight } } : {}),
        lbEndpoints: group.map((e) => ({
          endpoint: { address: socketAddress(e.host, e.port) },
          healthStatus: e.health ?? 'HEALTHY',
          ...(e.weight ? { loadBalancingWeight: { value: e.weight } } : {}),
        })),
      })),
    }),
  };
}

export function routerFilter(): Plain {
  return { name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER_TYPE } };
}

export interface HcmOptions {
  readonly statPrefix?: string;
  readonly rds?: string;
  readonly routeConfig?: Plain;
  readonly filters?: readonly Plain[];
  readonly extra?: Plain;
}

export function hcm(options: HcmOptions): Plain {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: {
      '@type': HCM_TYPE,
      statPrefix: options.statPrefix ?? 'test',
      ...(options.rds
        ? { rds: { configSource: { ads: {} }, routeConfigName: options.rds } }
        : { routeConfig: options.routeConfig }),
      httpFilters: [...(options.filters ?? []), routerFilter()],
      ...options.extra,
    },
  };
}

export function tcpProxy(statPrefix: string, clusterName: string): Plain {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typedConfig: { '@type': TCP_PROXY_TYPE, statPrefix, cluster: clusterName },
  };
}

export function listener(
  name: string,
  host: string,
  port: number,
  filterChains: readonly Plain[],
  extra: Plain = {},
): Packed {
  return {
    name,
    any: packAny(LISTENER_TYPE, { name, address: socketAddress(host, port), filterChains, ...extra }),
  };
}

export function httpListener(name: string, host: string, port: number, options: HcmOptions): Packed {
  return listener(name, host, port, [{ filters: [hcm(options)] }]);
}

export function routeConfig(name: string, virtualHosts: readonly Plain[], extra: Plain = {}): Packed {
  return { name, any: packAny(ROUTE_TYPE, { name, virtualHosts, ...extra }) };
}

export function vhost(
  name: string,
  domains: readonly string[],
  routes: readonly Plain[],
  extra: Plain = {},
): Plain {
  return { name, domains, routes, ...extra };
}

export function route(match: Plain, clusterOrAction: string | Plain, extra: Plain = {}): Plain {
  const action =
    typeof clusterOrAction === 'string' ? { route: { cluster: clusterOrAction } } : clusterOrAction;
  return { match, ...action, ...extra };
}
