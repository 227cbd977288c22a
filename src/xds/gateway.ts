// Gateways (router proxies): listeners from the servers of the Gateways selecting the proxy, and
// route configurations from the VirtualServices bound to them, with Istio's host matching.
import { hostMatches, hostsIntersect, narrowerHost, resolveHost, targetPortOf } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import { ADS_CONFIG, BLACKHOLE_CLUSTER, socketAddress, TLS_INSPECTOR_TYPE } from './envoy-util.ts';
import type { Gateway } from './istio.ts';
import { hcm, tcpProxy } from './filters.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext, ResolvedVirtualService } from './push-context.ts';
import type { RouteContext } from './routes.ts';
import { translateHttpRoute } from './routes.ts';
import { outboundClusterName } from './envoy-util.ts';

/** Gateways are the edge (Istio sets use_remote_address): x-envoy-* headers of callers are dropped. */
const EDGE = { useRemoteAddress: { value: true } };

type Server = Gateway['spec']['servers'][number];

interface BoundServer {
  readonly gateway: Gateway;
  /** `namespace/name` of the gateway. */
  readonly ref: string;
  readonly server: Server;
  readonly protocol: string;
  /** The container port the listener binds (the gateway Service's targetPort for server.port). */
  readonly targetPort: number;
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

function boundServers(proxy: Proxy, push: PushContext): BoundServer[] {
  const out: BoundServer[] = [];
  const services = proxy.workload ? push.registry.servicesOf(proxy.workload) : [];
  for (const gateway of push.gatewaysFor(proxy))
    for (const server of gateway.spec.servers) {
      const n = server.port.number;
      let targetPort = server.port.targetPort ?? n;
      for (const s of services) {
        const p = s.ports.find((x) => x.port === n);
        const t = p && proxy.workload ? targetPortOf(p, proxy.workload) : undefined;
        if (t !== undefined) {
          targetPort = t;
          break;
        }
      }
      out.push({
        gateway,
        ref: `${gateway.metadata.namespace}/${gateway.metadata.name}`,
        server,
        protocol: server.port.protocol.toUpperCase(),
        targetPort,
      });
    }
  return out;
}

function isHttpServer(b: BoundServer): boolean {
  if (HTTP_PROTOCOLS.has(b.protocol)) return true;
  return (
    b.protocol === 'HTTPS' &&
    b.server.tls?.mode !== 'PASSTHROUGH' &&
    b.server.tls?.mode !== 'AUTO_PASSTHROUGH'
  );
}

/** Istio's names: `http.8080` for plain HTTP, `https.443.<port name>.<gateway>.<ns>` for TLS. */
function routeConfigName(b: BoundServer): string {
  if (b.protocol !== 'HTTPS') return `http.${b.targetPort}`;
  return `https.${b.server.port.number}.${b.server.port.name ?? b.server.name ?? 'https'}.${b.gateway.metadata.name}.${b.gateway.metadata.namespace}`;
}

/** A server host `ns/host` admits VirtualServices from `ns` ("." = the gateway's, "*" = any). */
function serverHostAdmits(
  serverHost: string,
  gatewayNs: string,
  vs: ResolvedVirtualService,
  vsHost: string,
): boolean {
  const [ns, host] = serverHost.includes('/')
    ? (serverHost.split('/', 2) as [string, string])
    : ['*', serverHost];
  if (ns !== '*' && (ns === '.' ? gatewayNs : ns) !== vs.namespace) return false;
  return hostsIntersect(host, vsHost);
}

function serverHostName(h: string): string {
  return h.includes('/') ? h.split('/', 2)[1]! : h;
}

function downstreamTls(server: Server): Json | undefined {
  const tls = server.tls;
  if (!tls || tls.mode === 'PASSTHROUGH' || tls.mode === 'AUTO_PASSTHROUGH') return undefined;
  const common: Json = {};
  if (tls.credentialName)
    common.tlsCertificateSdsSecretConfigs = [
      { name: `kubernetes://${tls.credentialName}`, sdsConfig: ADS_CONFIG },
    ];
  else if (tls.serverCertificate && tls.privateKey)
    common.tlsCertificates = [
      { certificateChain: { filename: tls.serverCertificate }, privateKey: { filename: tls.privateKey } },
    ];
  if (tls.mode === 'MUTUAL') {
    if (tls.credentialName)
      common.validationContextSdsSecretConfig = {
        name: `kubernetes://${tls.credentialName}-cacert`,
        sdsConfig: ADS_CONFIG,
      };
    else if (tls.caCertificates) common.validationContext = { trustedCa: { filename: tls.caCertificates } };
  }
  common.alpnProtocols = ['h2', 'http/1.1'];
  return {
    name: 'envoy.transport_sockets.tls',
    typedConfig: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      commonTlsContext: common,
      requireClientCertificate: { value: tls.mode === 'MUTUAL' },
    },
  };
}

export function gatewayListeners(proxy: Proxy, push: PushContext): Json[] {
  const byPort = new Map<number, BoundServer[]>();
  for (const b of boundServers(proxy, push))
    byPort.set(b.targetPort, [...(byPort.get(b.targetPort) ?? []), b]);
  const ip = proxy.interceptionMode === 'NONE' && proxy.ip ? proxy.ip : '0.0.0.0';
  const out: Json[] = [];
  for (const [port, servers] of byPort) {
    const chains: Json[] = [];
    let plainHttp = false;
    let needsInspector = false;
    for (const b of servers) {
      if (isHttpServer(b)) {
        const ts = downstreamTls(b.server);
        if (!ts) {
          if (plainHttp) continue; // all plain HTTP servers on a port share one chain and route config
          plainHttp = true;
          chains.push({
            filters: [hcm(`outbound_0.0.0.0_${port}`, { rds: routeConfigName(b) }, push.mesh, EDGE)],
          });
        } else {
          needsInspector = true;
          const sni = b.server.hosts.map(serverHostName).filter((h) => h !== '*');
          chains.push({
            ...(sni.length
              ? { filterChainMatch: { serverNames: sni, transportProtocol: 'tls' } }
              : { filterChainMatch: { transportProtocol: 'tls' } }),
            transportSocket: ts,
            filters: [hcm(`outbound_0.0.0.0_${port}`, { rds: routeConfigName(b) }, push.mesh, EDGE)],
          });
        }
      } else {
        const l4 = l4Chains(proxy, push, b);
        if (l4.some((c) => c.filterChainMatch)) needsInspector = true;
        chains.push(...l4);
      }
    }
    if (chains.length === 0) continue;
    out.push({
      name: `0.0.0.0_${port}`,
      address: socketAddress(ip, port),
      trafficDirection: 'OUTBOUND',
      filterChains: chains,
      ...(needsInspector
        ? {
            listenerFilters: [
              { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': TLS_INSPECTOR_TYPE } },
            ],
          }
        : {}),
    });
  }
  return out;
}

/** TCP servers and TLS passthrough servers: tcp_proxy chains from tcp/tls VirtualService routes. */
function l4Chains(proxy: Proxy, push: PushContext, b: BoundServer): Json[] {
  const chains: Json[] = [];
  const ctxPort = b.server.port.number;
  for (const vs of push.virtualServicesFor(proxy, b.ref)) {
    if (
      !vs.hosts.some((h) =>
        b.server.hosts.some((sh) => serverHostAdmits(sh, b.gateway.metadata.namespace ?? '', vs, h)),
      )
    )
      continue;
    const dest = (
      route: readonly {
        destination: { host: string; subset?: string | undefined; port?: { number: number } | undefined };
        weight?: number | undefined;
      }[],
    ) => {
      const clusters = route.map((d) => {
        const host = resolveHost(d.destination.host, vs.namespace, push.mesh.domain);
        const svc = push.registry.service(host);
        const port = d.destination.port?.number ?? (svc?.ports.length === 1 ? svc.ports[0]!.port : ctxPort);
        return {
          name: outboundClusterName(port, d.destination.subset ?? '', host),
          weight: d.weight ?? (route.length === 1 ? 100 : 0),
        };
      });
      return clusters.length === 1 ? clusters[0]!.name : clusters.filter((c) => c.weight > 0);
    };
    if (b.protocol === 'TLS' || b.protocol === 'HTTPS') {
      for (const t of vs.tls) {
        const matches = (t.match ?? []).filter(
          (m) =>
            (m.port === undefined || m.port === ctxPort) &&
            (!m.gateways?.length || m.gateways.some((g) => g === b.ref || `${vs.namespace}/${g}` === b.ref)),
        );
        if (!matches.length) continue;
        const sni = matches.flatMap((m) => m.sniHosts);
        chains.push({
          filterChainMatch: { serverNames: sni },
          filters: [tcpProxy(`outbound|${ctxPort}||${sni[0]}`, dest(t.route))],
        });
      }
    } else {
      for (const t of vs.tcp) {
        const applies = !t.match?.length || t.match.some((m) => m.port === undefined || m.port === ctxPort);
        if (!applies) continue;
        const to = dest(t.route);
        chains.push({ filters: [tcpProxy(typeof to === 'string' ? to : `outbound|${ctxPort}||`, to)] });
        break; // the first matching TCP route takes the port
      }
    }
  }
  if (chains.length === 0 && b.protocol === 'TCP')
    chains.push({ filters: [tcpProxy(BLACKHOLE_CLUSTER, BLACKHOLE_CLUSTER)] });
  return chains;
}

/** Route configuration names the proxy's gateway listeners refer to. */
export function gatewayRouteNames(proxy: Proxy, push: PushContext): string[] {
  return [...new Set(boundServers(proxy, push).filter(isHttpServer).map(routeConfigName))];
}

export function gatewayRouteConfig(proxy: Proxy, push: PushContext, name: string): Json | undefined {
  const servers = boundServers(proxy, push).filter((b) => isHttpServer(b) && routeConfigName(b) === name);
  if (servers.length === 0) return undefined;
  const hosts = new Map<string, Json>();
  for (const b of servers) {
    const port = b.server.port.number;
    const ctx: RouteContext = { proxy, push, port, gateway: b.ref };
    for (const vs of push.virtualServicesFor(proxy, b.ref)) {
      for (const vsHost of vs.hosts) {
        const admitting = b.server.hosts.filter((sh) =>
          serverHostAdmits(sh, b.gateway.metadata.namespace ?? '', vs, vsHost),
        );
        if (!admitting.length) continue;
        const host = narrowerHost(serverHostName(admitting[0]!), vsHost);
        const routes: Json[] = [];
        vs.http.forEach((r, i) => routes.push(...translateHttpRoute(ctx, r, vs, i)));
        if (!routes.length) continue;
        const vhName = `${host}:${port}`;
        const existing = hosts.get(vhName);
        if (existing) (existing.routes as Json[]).push(...routes);
        else
          hosts.set(vhName, {
            name: vhName,
            domains: host === '*' ? ['*'] : [host, `${host}:*`],
            routes,
            ...(b.server.tls?.httpsRedirect ? { requireTls: 'ALL' } : {}),
            includeRequestAttemptCount: true,
          });
      }
    }
  }
  // More specific hosts first, so "*" never shadows a named host.
  const list = [...hosts.values()].sort(
    (a, b) => specificity(b.name as string) - specificity(a.name as string),
  );
  return { name, virtualHosts: list, validateClusters: { value: false } };
}

function specificity(vhName: string): number {
  const host = vhName.slice(0, vhName.lastIndexOf(':'));
  if (host === '*') return 0;
  return hostMatches(host, host) && host.startsWith('*') ? 1 : 2;
}
