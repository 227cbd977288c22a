// Route configurations for sidecars and proxyless gRPC: one virtual host per service port with
// Istio's domain forms, routes from the VirtualServices for the host (merged in order) or Istio's
// default route, and the catch-all allow_any / block_all host.
import type { MeshService, ServicePort } from '../registry/index.ts';
import { isHttp } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import { PASSTHROUGH_CLUSTER } from './envoy-util.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext } from './push-context.ts';
import { MESH_GATEWAY } from './push-context.ts';
import type { RouteContext } from './routes.ts';
import { defaultRoute, translateHttpRoute } from './routes.ts';

/** The names a client may use for a service: FQDN, `name.ns.svc`, `name.ns`, and the short name
 * from its own namespace; plus the service address. */
export function serviceNames(proxy: Proxy, s: MeshService): string[] {
  const names = [s.hostname];
  if (s.origin === 'kubernetes') {
    names.push(`${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}`);
    if (s.namespace === proxy.namespace) names.push(s.name);
  }
  if (s.address) names.push(s.address);
  return names;
}

/** Domains of a service's virtual host, with the port, and also bare when `bare` is set. */
export function serviceDomains(proxy: Proxy, s: MeshService, port: number, bare: boolean): string[] {
  const out: string[] = [];
  for (const n of serviceNames(proxy, s)) {
    if (bare) out.push(n);
    out.push(`${n}:${port}`);
  }
  return out;
}

/** Routes for one service port as seen by the proxy: its VirtualServices' rules, else the default. */
export function serviceRoutes(proxy: Proxy, push: PushContext, s: MeshService, port: ServicePort): Json[] {
  const ctx: RouteContext = { proxy, push, port: port.port, gateway: MESH_GATEWAY };
  const routes: Json[] = [];
  for (const vs of push.meshRoutesFor(proxy, s.hostname))
    vs.http.forEach((r, i) => routes.push(...translateHttpRoute(ctx, r, vs, i)));
  return routes.length ? routes : [defaultRoute(ctx, s.hostname, port.port)];
}

export function catchAllVirtualHost(proxy: Proxy, push: PushContext): Json {
  if (push.outboundMode(proxy) === 'ALLOW_ANY')
    return {
      name: 'allow_any',
      domains: ['*'],
      routes: [
        {
          name: 'allow_any',
          match: { prefix: '/' },
          route: { cluster: PASSTHROUGH_CLUSTER, timeout: { seconds: '0' } },
        },
      ],
      includeRequestAttemptCount: true,
    };
  return {
    name: 'block_all',
    domains: ['*'],
    routes: [{ name: 'block_all', match: { prefix: '/' }, directResponse: { status: 502 } }],
    includeRequestAttemptCount: true,
  };
}

function httpPorts(s: MeshService): ServicePort[] {
  return s.ports.filter((p) => isHttp(p.protocol));
}

/** The per-port outbound route configuration Istio names by port (`9080`). */
export function portRouteConfig(proxy: Proxy, push: PushContext, port: number): Json {
  const hosts: Json[] = [];
  for (const s of push.visibleServices(proxy))
    for (const p of httpPorts(s))
      if (p.port === port)
        hosts.push({
          name: `${s.hostname}:${port}`,
          domains: serviceDomains(proxy, s, port, true),
          routes: serviceRoutes(proxy, push, s, p),
          includeRequestAttemptCount: true,
        });
  hosts.push(catchAllVirtualHost(proxy, push));
  return { name: String(port), virtualHosts: dedupeDomains(hosts), validateClusters: { value: false } };
}

/** The local-mode HTTP proxy route configuration: every service port, keyed by authority. */
export function httpProxyRouteConfig(proxy: Proxy, push: PushContext, name: string): Json {
  const hosts: Json[] = [];
  for (const s of push.visibleServices(proxy))
    for (const p of httpPorts(s))
      hosts.push({
        name: `${s.hostname}:${p.port}`,
        domains: serviceDomains(proxy, s, p.port, p.port === 80),
        routes: serviceRoutes(proxy, push, s, p),
        includeRequestAttemptCount: true,
      });
  hosts.push(catchAllVirtualHost(proxy, push));
  return { name, virtualHosts: dedupeDomains(hosts), validateClusters: { value: false } };
}

/** Envoy rejects a domain that appears in two virtual hosts; the first keeps it. */
function dedupeDomains(hosts: Json[]): Json[] {
  const seen = new Set<string>();
  for (const h of hosts) {
    h.domains = (h.domains as string[]).filter((d) => (seen.has(d) ? false : (seen.add(d), true)));
  }
  return hosts.filter((h) => (h.domains as string[]).length > 0);
}

/** Resolves a proxyless gRPC target host (`reviews`, `reviews.ns`, an FQDN, a ServiceEntry host). */
export function resolveGrpcHost(proxy: Proxy, push: PushContext, host: string): MeshService | undefined {
  const r = push.registry;
  const domain = push.mesh.domain;
  return (
    r.service(host) ??
    r.service(`${host}.${proxy.namespace}.svc.${domain}`) ??
    r.service(`${host}.svc.${domain}`) ??
    r.service(`${host}.${domain}`)
  );
}

/** The route configuration behind a proxyless gRPC API listener `host:port`. */
export function grpcRouteConfig(proxy: Proxy, push: PushContext, name: string): Json | undefined {
  const colon = name.lastIndexOf(':');
  const host = colon > 0 ? name.slice(0, colon) : name;
  const portNumber = colon > 0 ? Number(name.slice(colon + 1)) : 80;
  const s = resolveGrpcHost(proxy, push, host);
  const port = s?.ports.find((p) => p.port === portNumber);
  if (!s || !port) return undefined;
  return {
    name,
    virtualHosts: [
      {
        name: `${s.hostname}:${port.port}`,
        domains: [...new Set([name, ...serviceDomains(proxy, s, port.port, true)])],
        routes: serviceRoutes(proxy, push, s, port),
      },
    ],
  };
}
