// LDS for sidecars (inbound listener per targeted container port, the local-mode HTTP proxy
// listener) and proxyless gRPC (API listeners named `host:port`).
import { HCM_TYPE } from '../envoy/index.ts';
import { isHttp } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import {
  ADS_CONFIG,
  duration,
  HTTP_PROXY_PORT,
  HTTP_PROXY_ROUTE,
  inboundClusterName,
  socketAddress,
} from './envoy-util.ts';
import { inboundPorts } from './clusters.ts';
import { hcm, httpFilters, tcpProxy } from './filters.ts';
import { redirectedOutboundListeners } from './outbound.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext } from './push-context.ts';
import { resolveGrpcHost } from './virtual-hosts.ts';

/** The address a listener binds: the pod address when nothing redirects traffic (local mode). */
function bindAddress(proxy: Proxy): string {
  return proxy.interceptionMode === 'NONE' && proxy.ip ? proxy.ip : '0.0.0.0';
}

/** Istio's inbound capture port: redirected inbound traffic arrives here. */
const VIRTUAL_INBOUND_PORT = 15006;

export function sidecarListeners(proxy: Proxy, push: PushContext): Json[] {
  const chains = inboundChains(proxy, push);
  if (proxy.interceptionMode !== 'NONE') {
    // Redirected traffic: one capture listener, chains chosen by the original destination port.
    const virtualInbound = {
      name: 'virtualInbound',
      address: socketAddress('0.0.0.0', VIRTUAL_INBOUND_PORT),
      trafficDirection: 'INBOUND',
      useOriginalDst: { value: true },
      filterChains: chains.map(({ port, chain }) => ({
        ...chain,
        filterChainMatch: { destinationPort: { value: port } },
      })),
    };
    return [virtualInbound, ...redirectedOutboundListeners(proxy, push)];
  }
  const ip = bindAddress(proxy);
  const out: Json[] = chains.map(({ port, chain }) => ({
    name: `${ip}_${port}`,
    address: socketAddress(ip, port),
    trafficDirection: 'INBOUND',
    filterChains: [chain],
  }));
  out.push({
    name: `${ip}_${HTTP_PROXY_PORT}`,
    address: socketAddress(ip, HTTP_PROXY_PORT),
    trafficDirection: 'OUTBOUND',
    filterChains: [
      { filters: [hcm(`outbound_${ip}_${HTTP_PROXY_PORT}`, { rds: HTTP_PROXY_ROUTE }, push.mesh)] },
    ],
  });
  return out;
}

/** One filter chain per container port that a service targets, to the app through `inbound|P||`. */
function inboundChains(proxy: Proxy, push: PushContext): { port: number; chain: Json }[] {
  const out: { port: number; chain: Json }[] = [];
  for (const { port, servicePort } of inboundPorts(proxy, push)) {
    const cluster = inboundClusterName(port);
    const filter = isHttp(servicePort.protocol)
      ? hcm(
          `inbound_0.0.0.0_${port}`,
          {
            inline: {
              name: cluster,
              virtualHosts: [
                {
                  name: `inbound|http|${port}`,
                  domains: ['*'],
                  routes: [
                    {
                      name: 'default',
                      match: { prefix: '/' },
                      route: {
                        cluster,
                        timeout: duration(0),
                        maxStreamDuration: {
                          maxStreamDuration: duration(0),
                          grpcTimeoutHeaderMax: duration(0),
                        },
                      },
                      decorator: {
                        operation: `${proxy.podName}.${proxy.namespace}.svc.${push.mesh.domain}:${port}/*`,
                      },
                    },
                  ],
                },
              ],
              validateClusters: { value: false },
            },
          },
          push.mesh,
        )
      : tcpProxy(cluster, cluster);
    out.push({ port, chain: { filters: [filter] } });
  }
  return out;
}

/** Proxyless gRPC: an API listener per `host:port` the client asked for and the registry knows. */
export function grpcListeners(proxy: Proxy, push: PushContext, names: readonly string[]): Json[] {
  const out: Json[] = [];
  for (const name of names) {
    const colon = name.lastIndexOf(':');
    const host = colon > 0 ? name.slice(0, colon) : name;
    const port = colon > 0 ? Number(name.slice(colon + 1)) : 80;
    const s = resolveGrpcHost(proxy, push, host);
    if (!s || !s.ports.some((p) => p.port === port)) continue;
    out.push({
      name,
      apiListener: {
        apiListener: {
          '@type': HCM_TYPE,
          statPrefix: name,
          rds: { configSource: ADS_CONFIG, routeConfigName: name },
          httpFilters: httpFilters(true),
        },
      },
    });
  }
  return out;
}
