// Outbound listeners for sidecars whose traffic is redirected to them (Kubernetes-style, not local
// mode): Istio's virtualOutbound on 15001, an HTTP listener per service port using the port's
// route configuration, and TCP/TLS listeners whose filter chains come from tcp and tls routes.
import { hostMatches, isHttp, resolveHost } from '../registry/index.ts';
import type { MeshService, ServicePort } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import {
  BLACKHOLE_CLUSTER,
  HTTP_PROXY_PORT,
  outboundClusterName,
  PASSTHROUGH_CLUSTER,
  socketAddress,
  TLS_INSPECTOR_TYPE,
} from './envoy-util.ts';
import type { RouteDestination } from './istio.ts';
import { hcm, tcpProxy } from './filters.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext, ResolvedVirtualService } from './push-context.ts';
import { MESH_GATEWAY } from './push-context.ts';

type Destinations = readonly RouteDestination[];

function clusterTarget(
  push: PushContext,
  vs: ResolvedVirtualService,
  route: Destinations,
  port: number,
): string | { name: string; weight: number }[] {
  const list = route.map((d) => {
    const host = resolveHost(d.destination.host, vs.namespace, push.mesh.domain);
    const svc = push.registry.service(host);
    const p = d.destination.port?.number ?? (svc?.ports.length === 1 ? svc.ports[0]!.port : port);
    return {
      name: outboundClusterName(p, d.destination.subset ?? '', host),
      weight: d.weight ?? (route.length === 1 ? 100 : 0),
    };
  });
  return list.length === 1 ? list[0]!.name : list.filter((c) => c.weight > 0);
}

function l4Applies(
  m: {
    port?: number | undefined;
    sourceLabels?: Record<string, string> | undefined;
    sourceNamespace?: string | undefined;
    gateways?: string[] | undefined;
  },
  proxy: Proxy,
  port: number,
): boolean {
  if (m.port !== undefined && m.port !== port) return false;
  if (m.sourceNamespace && m.sourceNamespace !== proxy.namespace) return false;
  if (m.sourceLabels && !Object.entries(m.sourceLabels).every(([k, v]) => proxy.labels[k] === v))
    return false;
  return !m.gateways?.length || m.gateways.includes(MESH_GATEWAY);
}

/** Filter chains for a TCP or TLS service port: tls routes by SNI, then the first tcp route, else the service itself. */
function l4FilterChains(
  proxy: Proxy,
  push: PushContext,
  s: MeshService,
  p: ServicePort,
): { chains: Json[]; sni: boolean } {
  const chains: Json[] = [];
  let fallback: Json | undefined;
  for (const vs of push.virtualServicesFor(proxy, MESH_GATEWAY)) {
    if (!vs.hosts.some((h) => hostMatches(h, s.hostname))) continue;
    for (const t of vs.tls) {
      const matches = (t.match ?? []).filter((m) => l4Applies(m, proxy, p.port));
      if (!matches.length) continue;
      const target = clusterTarget(push, vs, t.route, p.port);
      chains.push({
        filterChainMatch: { serverNames: matches.flatMap((m) => m.sniHosts) },
        filters: [
          tcpProxy(typeof target === 'string' ? target : `outbound|${p.port}||${s.hostname}`, target),
        ],
      });
    }
    if (!fallback)
      for (const t of vs.tcp) {
        if (t.match?.length && !t.match.some((m) => l4Applies(m, proxy, p.port))) continue;
        const target = clusterTarget(push, vs, t.route, p.port);
        fallback = {
          filters: [
            tcpProxy(typeof target === 'string' ? target : `outbound|${p.port}||${s.hostname}`, target),
          ],
        };
        break;
      }
  }
  const direct = outboundClusterName(p.port, '', s.hostname);
  chains.push(fallback ?? { filters: [tcpProxy(direct, direct)] });
  return { chains, sni: chains.length > 1 };
}

export function redirectedOutboundListeners(proxy: Proxy, push: PushContext): Json[] {
  const out: Json[] = [];
  const httpPorts = new Set<number>();
  for (const s of push.visibleServices(proxy))
    for (const p of s.ports) {
      if (p.protocol === 'UDP') continue;
      if (isHttp(p.protocol)) {
        httpPorts.add(p.port);
        continue;
      }
      const address = s.address ?? '0.0.0.0';
      const { chains, sni } = l4FilterChains(proxy, push, s, p);
      out.push({
        name: `${address}_${p.port}`,
        address: socketAddress(address, p.port),
        trafficDirection: 'OUTBOUND',
        bindToPort: { value: false },
        filterChains: chains,
        ...(sni
          ? {
              listenerFilters: [
                {
                  name: 'envoy.filters.listener.tls_inspector',
                  typedConfig: { '@type': TLS_INSPECTOR_TYPE },
                },
              ],
            }
          : {}),
      });
    }
  for (const port of [...httpPorts].sort((a, b) => a - b))
    out.push({
      name: `0.0.0.0_${port}`,
      address: socketAddress('0.0.0.0', port),
      trafficDirection: 'OUTBOUND',
      bindToPort: { value: false },
      filterChains: [{ filters: [hcm(`outbound_0.0.0.0_${port}`, { rds: String(port) }, push.mesh)] }],
    });
  const catchAll = push.outboundMode(proxy) === 'ALLOW_ANY' ? PASSTHROUGH_CLUSTER : BLACKHOLE_CLUSTER;
  out.push({
    name: 'virtualOutbound',
    address: socketAddress('0.0.0.0', HTTP_PROXY_PORT),
    trafficDirection: 'OUTBOUND',
    useOriginalDst: { value: true },
    filterChains: [{ name: 'virtualOutbound-catchall-tcp', filters: [tcpProxy(catchAll, catchAll)] }],
  });
  return out;
}
