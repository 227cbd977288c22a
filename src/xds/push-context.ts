// The push context: one immutable index of config and registry state that every generator reads
// while building resources for a push (Istio's PushContext). Rebuilt when config changes; the
// registry is read live, so an endpoint change needs no rebuild.
import type { Resource } from '../api/index.ts';
import type { MeshService, RegistryView } from '../registry/index.ts';
import { hostMatches, resolveHost, selectorMatches } from '../registry/index.ts';
import type { DestinationRule, Gateway, HTTPRoute, Sidecar, VirtualService } from './istio.ts';
import type { Proxy } from './proxy.ts';

export type OutboundMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** The mesh-wide settings Istio keeps in MeshConfig. */
export interface MeshOptions {
  readonly domain: string;
  readonly rootNamespace: string;
  readonly outboundTrafficPolicy: OutboundMode;
  /** Default upstream connect timeout (Istio's connectTimeout, 10s). */
  readonly connectTimeoutMs: number;
  /** Istio's meshConfig.accessLogFile: where proxies write access logs ("" = none, "/dev/stdout"). */
  readonly accessLogFile: string;
}

export const DEFAULT_MESH: MeshOptions = {
  domain: 'cluster.local',
  rootNamespace: 'istio-system',
  outboundTrafficPolicy: 'ALLOW_ANY',
  connectTimeoutMs: 10_000,
  // Istio's demo profile (the one the local mesh mirrors) logs every request to the proxy's stdout.
  accessLogFile: '/dev/stdout',
};

export const MESH_GATEWAY = 'mesh';

/** A VirtualService with its hosts resolved and its delegates inlined. */
export interface ResolvedVirtualService {
  readonly name: string;
  readonly namespace: string;
  readonly hosts: readonly string[];
  /** Gateway names as `namespace/name`, or "mesh". */
  readonly gateways: readonly string[];
  readonly http: readonly HTTPRoute[];
  readonly tcp: NonNullable<VirtualService['spec']['tcp']>;
  readonly tls: NonNullable<VirtualService['spec']['tls']>;
  readonly exportTo: readonly string[];
}

function byAge(a: Resource, b: Resource): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta === tb ? 0 : ta < tb ? -1 : 1;
}

/** `name` or `ns/name` written in namespace `ns` → `ns/name`; "mesh" stays. */
export function gatewayRef(name: string, namespace: string): string {
  if (name === MESH_GATEWAY) return name;
  if (name.includes('/')) return name;
  // "gw.ns.svc.cluster.local" style names name the namespace too.
  const parts = name.split('.');
  if (parts.length > 1) return `${parts[1]}/${parts[0]}`;
  return `${namespace}/${name}`;
}

function visibleTo(
  exportTo: readonly string[] | undefined,
  ownNamespace: string,
  namespace: string,
): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === '*' || (e === '.' ? ownNamespace === namespace : e === namespace));
}

interface IndexedRule {
  readonly rule: DestinationRule;
  readonly namespace: string;
  readonly host: string;
}

export class PushContext {
  readonly version: string;
  readonly mesh: MeshOptions;
  readonly registry: RegistryView;
  readonly virtualServices: readonly ResolvedVirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  readonly gateways: readonly Gateway[];
  readonly sidecars: readonly Sidecar[];
  /** Whether any route matches on the client's labels (then routes differ per proxy labels). */
  readonly usesSourceLabels: boolean;
  readonly #drCache = new Map<string, DestinationRule | undefined>();
  readonly #memo = new Map<string, unknown>();
  readonly #memoBy = new Map<string, Map<string, unknown>>();
  /** DestinationRules by resolved host; wildcard hosts apart. */
  readonly #drByHost = new Map<string, IndexedRule[]>();
  readonly #wildcardDrs: IndexedRule[] = [];

  constructor(resources: readonly Resource[], registry: RegistryView, mesh: MeshOptions, version: string) {
    this.version = version;
    this.mesh = mesh;
    this.registry = registry;
    const of = <T extends Resource>(kind: string) =>
      resources.filter((r) => r.kind === kind).sort(byAge) as unknown as T[];
    const vss = of<VirtualService>('VirtualService');
    const delegates = new Map<string, VirtualService>();
    for (const vs of vss)
      if (!vs.spec.hosts?.length) delegates.set(`${vs.metadata.namespace}/${vs.metadata.name}`, vs);
    this.virtualServices = vss
      .filter((vs) => (vs.spec.hosts?.length ?? 0) > 0)
      .map((vs) => resolveVirtualService(vs, delegates, mesh.domain));
    this.usesSourceLabels = this.virtualServices.some(
      (vs) =>
        vs.http.some((r) => r.match?.some((m) => m.sourceLabels)) ||
        [...vs.tcp, ...vs.tls].some((r) => r.match?.some((m) => m.sourceLabels)),
    );
    this.destinationRules = of<DestinationRule>('DestinationRule');
    for (const rule of this.destinationRules) {
      if (rule.spec.workloadSelector) continue;
      const namespace = rule.metadata.namespace ?? 'default';
      const indexed = { rule, namespace, host: resolveHost(rule.spec.host, namespace, mesh.domain) };
      if (indexed.host.startsWith('*')) this.#wildcardDrs.push(indexed);
      else this.#drByHost.set(indexed.host, [...(this.#drByHost.get(indexed.host) ?? []), indexed]);
    }
    this.gateways = of<Gateway>('Gateway');
    this.sidecars = of<Sidecar>('Sidecar');
  }

  /** Builds a value once per push context: proxies that see the config the same way (same
   * namespace, Sidecar, labels) share generated resources instead of rebuilding them. */
  memo<T>(key: string, build: () => T): T {
    if (this.#memo.has(key)) return this.#memo.get(key) as T;
    const value = build();
    this.#memo.set(key, value);
    return value;
  }

  /** `memo` under `key` and a second key taken as it is rather than joined into one string: a
   * subscription's names joined are long, and proxies alike share the very same string. */
  memoBy<T>(key: string, names: string, build: () => T): T {
    let inner = this.#memoBy.get(key);
    if (!inner) this.#memoBy.set(key, (inner = new Map()));
    if (inner.has(names)) return inner.get(names) as T;
    const value = build();
    inner.set(names, value);
    return value;
  }

  /** What generated config depends on besides the push context itself: the proxy's kind,
   * namespace and Sidecar always; its labels where rules select on them (gateway selectors,
   * sourceLabels matches); its locality where endpoints are ordered by it. */
  proxyKey(proxy: Proxy, aspects: { labels?: boolean; locality?: boolean } = {}): string {
    const sidecar = proxy.type === 'sidecar' ? this.sidecarFor(proxy) : undefined;
    const parts = [
      proxy.type,
      proxy.grpc ? 'grpc' : '',
      proxy.namespace,
      sidecar ? `${sidecar.metadata.namespace}/${sidecar.metadata.name}` : '',
    ];
    if (aspects.labels && (proxy.type === 'router' || this.usesSourceLabels))
      parts.push(JSON.stringify(Object.entries(proxy.labels).sort(([a], [b]) => (a < b ? -1 : 1))));
    if (aspects.locality && proxy.locality)
      parts.push(`${proxy.locality.region}/${proxy.locality.zone}/${proxy.locality.subZone}`);
    return parts.join('|');
  }

  /** The Sidecar resource that applies to the proxy: a selecting one in its namespace, else the
   * namespace-wide one, else the mesh-wide one in the root namespace. */
  sidecarFor(proxy: Proxy): Sidecar | undefined {
    const inNs = this.sidecars.filter((s) => s.metadata.namespace === proxy.namespace);
    return (
      inNs.find(
        (s) => s.spec.workloadSelector && selectorMatches(s.spec.workloadSelector.labels ?? {}, proxy.labels),
      ) ??
      inNs.find((s) => !s.spec.workloadSelector) ??
      this.sidecars.find((s) => s.metadata.namespace === this.mesh.rootNamespace && !s.spec.workloadSelector)
    );
  }

  outboundMode(proxy: Proxy): OutboundMode {
    return this.sidecarFor(proxy)?.spec.outboundTrafficPolicy?.mode ?? this.mesh.outboundTrafficPolicy;
  }

  /** Services the proxy may reach: exported to its namespace and within its Sidecar's egress hosts. */
  visibleServices(proxy: Proxy): MeshService[] {
    const sidecar = proxy.type === 'sidecar' ? this.sidecarFor(proxy) : undefined;
    const egressHosts = sidecar?.spec.egress?.flatMap((e) => e.hosts) ?? [];
    return this.registry.services().filter((s) => {
      if (!visibleTo(s.exportTo, s.namespace, proxy.namespace)) return false;
      if (!sidecar || egressHosts.length === 0) return true;
      const sidecarNs = sidecar.metadata.namespace ?? proxy.namespace;
      return egressHosts.some((h) => egressHostMatches(h, s, sidecarNs));
    });
  }

  /** VirtualServices bound to `gateway` ("mesh" for sidecars) and exported to the proxy's namespace. */
  virtualServicesFor(proxy: Proxy, gateway: string): ResolvedVirtualService[] {
    return this.virtualServices.filter(
      (vs) => vs.gateways.includes(gateway) && visibleTo(vs.exportTo, vs.namespace, proxy.namespace),
    );
  }

  /** Mesh VirtualServices for a service host, in the order their rules apply (merged). */
  meshRoutesFor(proxy: Proxy, host: string): ResolvedVirtualService[] {
    return this.virtualServicesFor(proxy, MESH_GATEWAY).filter((vs) =>
      vs.hosts.some((h) => hostMatches(h, host)),
    );
  }

  /** The DestinationRule for `host` as seen from `proxyNamespace`: the proxy's namespace first,
   * then the service's, then the root namespace; the most specific host wins within each. */
  destinationRule(proxyNamespace: string, host: string): DestinationRule | undefined {
    const cacheKey = `${proxyNamespace}|${host}`;
    const cached = this.#drCache.get(cacheKey);
    if (cached !== undefined || this.#drCache.has(cacheKey)) return cached;
    const candidates = [
      ...(this.#drByHost.get(host) ?? []),
      ...this.#wildcardDrs.filter((d) => hostMatches(d.host, host)),
    ].filter((d) => visibleTo(d.rule.spec.exportTo, d.namespace, proxyNamespace));
    const pick = (ns: string | undefined) => {
      const inNs = candidates.filter((d) => d.namespace === ns);
      return (inNs.find((d) => d.host === host) ?? inNs.sort((a, b) => b.host.length - a.host.length)[0])
        ?.rule;
    };
    const serviceNs = candidates.length ? this.registry.service(host)?.namespace : undefined;
    const found = candidates.length
      ? (pick(proxyNamespace) ?? pick(serviceNs) ?? pick(this.mesh.rootNamespace))
      : undefined;
    this.#drCache.set(cacheKey, found);
    return found;
  }

  /** Gateways whose selector matches the proxy's labels. */
  gatewaysFor(proxy: Proxy): Gateway[] {
    return this.gateways.filter((g) => g.spec.selector && selectorMatches(g.spec.selector, proxy.labels));
  }
}

function egressHostMatches(h: string, s: MeshService, sidecarNs: string): boolean {
  const [nsPart, hostPart] = h.includes('/') ? (h.split('/', 2) as [string, string]) : ['*', h];
  const nsOk = nsPart === '*' || (nsPart === '.' ? s.namespace === sidecarNs : nsPart === s.namespace);
  if (!nsOk || nsPart === '~') return false;
  return hostMatches(hostPart, s.hostname);
}

function resolveVirtualService(
  vs: VirtualService,
  delegates: Map<string, VirtualService>,
  domain: string,
): ResolvedVirtualService {
  const ns = vs.metadata.namespace ?? 'default';
  const http: HTTPRoute[] = [];
  for (const route of vs.spec.http ?? []) {
    if (!route.delegate) {
      http.push(route);
      continue;
    }
    const target = delegates.get(`${route.delegate.namespace ?? ns}/${route.delegate.name}`);
    if (!target) continue;
    const targetNs = target.metadata.namespace ?? ns;
    for (const child of target.spec.http ?? []) {
      const merged = mergeDelegateMatches(route.match, child.match);
      if (merged === null) continue;
      http.push({
        ...child,
        ...(merged ? { match: merged } : {}),
        route: qualifyDestinations(child.route, targetNs, domain),
      });
    }
  }
  return {
    name: vs.metadata.name,
    namespace: ns,
    hosts: (vs.spec.hosts ?? []).map((h) => resolveHost(h, ns, domain)),
    gateways: (vs.spec.gateways?.length ? vs.spec.gateways : [MESH_GATEWAY]).map((g) => gatewayRef(g, ns)),
    http,
    tcp: vs.spec.tcp ?? [],
    tls: vs.spec.tls ?? [],
    exportTo: vs.spec.exportTo ?? [],
  };
}

/** Delegate destinations name hosts relative to the delegate's namespace. */
function qualifyDestinations(route: HTTPRoute['route'], ns: string, domain: string): HTTPRoute['route'] {
  return route?.map((d) => ({
    ...d,
    destination: { ...d.destination, host: resolveHost(d.destination.host, ns, domain) },
  }));
}

type Matches = HTTPRoute['match'];

/** Istio's delegate merge: every root match combined with every delegate match; a delegate match
 * that leaves the root's URI prefix is dropped. Returns null when nothing can match. */
function mergeDelegateMatches(root: Matches, child: Matches): Matches | null {
  if (!root?.length) return child;
  if (!child?.length) return root;
  const out: NonNullable<Matches>[number][] = [];
  for (const r of root) {
    for (const c of child) {
      if (r.uri?.prefix !== undefined && c.uri) {
        const cu = c.uri.exact ?? c.uri.prefix;
        if (cu === undefined || !cu.startsWith(r.uri.prefix)) continue;
      }
      out.push({
        ...r,
        ...c,
        uri: c.uri ?? r.uri,
        headers: { ...(r.headers ?? {}), ...(c.headers ?? {}) },
        queryParams: { ...(r.queryParams ?? {}), ...(c.queryParams ?? {}) },
      });
    }
  }
  return out.length ? out : null;
}
