// Network and HTTP filters shared by every listener builder.
import { FAULT_TYPE, HCM_TYPE, ROUTER_TYPE, TCP_PROXY_TYPE } from '../envoy/index.ts';
import type { Json } from './envoy-util.ts';
import {
  ADS_CONFIG,
  CORS_TYPE,
  FILTER_CORS,
  FILTER_FAULT,
  FILTER_HCM,
  FILTER_ROUTER,
  FILTER_TCP_PROXY,
} from './envoy-util.ts';

export function httpFilters(grpc: boolean): Json[] {
  return [
    ...(grpc ? [] : [{ name: FILTER_CORS, typedConfig: { '@type': CORS_TYPE } }]),
    { name: FILTER_FAULT, typedConfig: { '@type': FAULT_TYPE } },
    { name: FILTER_ROUTER, typedConfig: { '@type': ROUTER_TYPE } },
  ];
}

export function hcm(statPrefix: string, route: { rds: string } | { inline: Json }, extra: Json = {}): Json {
  return {
    name: FILTER_HCM,
    typedConfig: {
      '@type': HCM_TYPE,
      statPrefix,
      ...('rds' in route
        ? { rds: { configSource: ADS_CONFIG, routeConfigName: route.rds } }
        : { routeConfig: route.inline }),
      httpFilters: httpFilters(false),
      useRemoteAddress: { value: false },
      ...extra,
    },
  };
}

export function tcpProxy(statPrefix: string, cluster: string | { name: string; weight: number }[]): Json {
  return {
    name: FILTER_TCP_PROXY,
    typedConfig: {
      '@type': TCP_PROXY_TYPE,
      statPrefix,
      ...(typeof cluster === 'string'
        ? { cluster }
        : { weightedClusters: { clusters: cluster.map((c) => ({ name: c.name, weight: c.weight })) } }),
    },
  };
}
