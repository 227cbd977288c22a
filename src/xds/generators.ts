// One generator per type URL, registered in one map. Each builds the resources a proxy asked for
// and says whether a change concerns that proxy at all, so unrelated changes push nothing.
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../envoy/index.ts';
import { hostsIntersect } from '../registry/index.ts';
import { buildClusterParts, buildClusters } from './clusters.ts';
import { buildLoadAssignment } from './endpoints.ts';
import type { Json } from './envoy-util.ts';
import { HTTP_PROXY_ROUTE, parseClusterName } from './envoy-util.ts';
import { gatewayListeners, gatewayRouteConfig } from './gateway.ts';
import { grpcListeners, sidecarListeners } from './listeners.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext } from './push-context.ts';
import { grpcRouteConfig, httpProxyRouteConfig, portRouteConfig } from './virtual-hosts.ts';

/** Why a push happens: what changed since the last one (merged while debouncing). */
export interface PushRequest {
  /** Config changed: the push context is rebuilt. */
  readonly full: boolean;
  /** Kinds of the config resources that changed. */
  readonly kinds: ReadonlySet<string>;
  /** Hosts named by the changed config (services, VirtualService/DestinationRule hosts). */
  readonly hosts: ReadonlySet<string>;
  /** Registry services were added, removed or changed. */
  readonly servicesChanged: boolean;
  /** Hosts whose endpoints changed. */
  readonly endpointHosts: ReadonlySet<string>;
  /** Workloads (`ns/name`) that changed. */
  readonly workloads: ReadonlySet<string>;
}

export function mergeRequests(a: PushRequest | undefined, b: PushRequest): PushRequest {
  if (!a) return b;
  return {
    full: a.full || b.full,
    kinds: new Set([...a.kinds, ...b.kinds]),
    hosts: new Set([...a.hosts, ...b.hosts]),
    servicesChanged: a.servicesChanged || b.servicesChanged,
    endpointHosts: new Set([...a.endpointHosts, ...b.endpointHosts]),
    workloads: new Set([...a.workloads, ...b.workloads]),
  };
}

/** What a proxy has asked for, per type. */
export interface Watched {
  /** Sorted. */
  readonly names: readonly string[];
  /** The names joined: identifies the subscription. */
  readonly key: string;
  /** No names: every resource of the type (CDS and LDS). */
  readonly wildcard: boolean;
}

export interface Generator {
  readonly typeUrl: string;
  readonly short: string;
  /** `req` is the push being served; absent when answering a proxy's own request. */
  generate(proxy: Proxy, push: PushContext, watched: Watched, req?: PushRequest): Json[];
  /** The same resources in parts, where parts are arrays shared between proxies (encoded once). */
  generateParts?(proxy: Proxy, push: PushContext, watched: Watched, req?: PushRequest): Json[][];
  needsPush(proxy: Proxy, push: PushContext, req: PushRequest, watched: Watched): boolean;
}

const HOST_KINDS = new Set(['VirtualService', 'DestinationRule', 'ServiceEntry', 'Service']);

function ownWorkloadChanged(proxy: Proxy, req: PushRequest): boolean {
  return req.workloads.has(`${proxy.namespace}/${proxy.podName}`);
}

/** A config change limited to hosts the proxy cannot see does not concern it. */
function configConcerns(
  proxy: Proxy,
  push: PushContext,
  req: PushRequest,
  kinds: ReadonlySet<string>,
): boolean {
  const relevant = [...req.kinds].filter((k) => kinds.has(k));
  if (relevant.length === 0) return req.servicesChanged;
  if (req.servicesChanged) return true;
  if (proxy.type === 'router' || relevant.some((k) => !HOST_KINDS.has(k)) || req.hosts.size === 0)
    return true;
  // Proxies alike see the same hosts: the lookup tables are built once per shape and push.
  const { exact, wildcards } = push.memo(`visible-hosts|${push.proxyKey(proxy)}`, () => {
    const hosts = push.visibleServices(proxy).map((s) => s.hostname);
    return { exact: new Set(hosts), wildcards: hosts.filter((h) => h.startsWith('*')) };
  });
  for (const h of req.hosts) {
    if (exact.has(h)) return true;
    // Without a wildcard on either side, hosts intersect only when equal.
    const candidates = h.startsWith('*') ? exact : wildcards;
    for (const v of candidates) if (hostsIntersect(h, v)) return true;
  }
  return false;
}

const CDS_KINDS = new Set(['Service', 'ServiceEntry', 'DestinationRule', 'Sidecar']);
const LDS_KINDS = new Set(['Gateway', 'Sidecar', 'Service', 'ServiceEntry', 'VirtualService']);
const RDS_KINDS = new Set([
  'VirtualService',
  'DestinationRule',
  'Service',
  'ServiceEntry',
  'Sidecar',
  'Gateway',
]);
const EDS_KINDS = new Set(['DestinationRule']);

function filterNames(resources: Json[], watched: Watched): Json[] {
  if (watched.wildcard) return resources;
  const wanted = new Set(watched.names);
  return resources.filter((r) => wanted.has(r.name as string));
}

/** Whether a change may concern the services of the proxy's own pod. A local-mode sidecar listens
 * only for those, and a Service selects pods of its own namespace: a change naming only hosts of
 * other namespaces (or none that is a Service) leaves its listeners alone. */
function nearbyHost(proxy: Proxy, req: PushRequest): boolean {
  if (req.hosts.size === 0) return true;
  for (const h of req.hosts) {
    const labels = h.split('.');
    if (labels[2] === 'svc' && labels[1] === proxy.namespace) return true;
  }
  return false;
}

const cds: Generator = {
  typeUrl: CLUSTER_TYPE,
  short: 'cds',
  generate: (proxy, push, watched) => filterNames(buildClusters(proxy, push), watched),
  generateParts: (proxy, push, watched) =>
    watched.wildcard ? buildClusterParts(proxy, push) : [filterNames(buildClusters(proxy, push), watched)],
  needsPush(proxy, push, req) {
    if (ownWorkloadChanged(proxy, req)) return true;
    // DNS clusters carry their endpoints inline.
    for (const h of req.endpointHosts) {
      const s = push.registry.service(h);
      if (s && (s.resolution === 'DNS' || s.resolution === 'DNS_ROUND_ROBIN')) return true;
    }
    return req.full && configConcerns(proxy, push, req, CDS_KINDS);
  },
};

const eds: Generator = {
  typeUrl: ENDPOINT_TYPE,
  short: 'eds',
  generate(proxy, push, watched, req) {
    const locality = proxy.locality
      ? `${proxy.locality.region}/${proxy.locality.zone}/${proxy.locality.subZone}`
      : '';
    // EDS responses need not repeat unchanged assignments: an endpoint-only push sends the
    // assignments of the hosts that changed.
    const partial = req !== undefined && !req.full;
    // An assignment depends on the proxy only through the DestinationRule it sees and its locality.
    const build = () =>
      (partial
        ? watched.names.filter((n) => req.endpointHosts.has(parseClusterName(n)?.host ?? ''))
        : watched.names
      ).map((n) => {
        const dr = push.destinationRule(proxy.namespace, parseClusterName(n)?.host ?? '');
        const key = `eds|${locality}|${dr ? `${dr.metadata.namespace}/${dr.metadata.name}` : ''}|${n}`;
        return push.memo(key, () => buildLoadAssignment(proxy, push, n));
      });
    // Proxies alike ask for the same clusters: the whole list is shared too.
    const hosts = partial ? [...req.endpointHosts].sort().join(',') : '*';
    return push.memoBy(`eds-list|${hosts}|${locality}|${push.proxyKey(proxy)}`, watched.key, build);
  },
  needsPush(proxy, push, req, watched) {
    if (req.full && configConcerns(proxy, push, req, EDS_KINDS)) return true;
    if (req.servicesChanged) return true;
    if (req.endpointHosts.size === 0) return false;
    return watched.names.some((n) => {
      const host = parseClusterName(n)?.host;
      return host !== undefined && req.endpointHosts.has(host);
    });
  },
};

const lds: Generator = {
  typeUrl: LISTENER_TYPE,
  short: 'lds',
  generate(proxy, push, watched) {
    if (proxy.grpc) return grpcListeners(proxy, push, watched.names);
    return filterNames(
      proxy.type === 'router' ? gatewayListeners(proxy, push) : sidecarListeners(proxy, push),
      watched,
    );
  },
  needsPush(proxy, push, req) {
    if (ownWorkloadChanged(proxy, req)) return true;
    if (!req.full) return false;
    if (proxy.type === 'sidecar' && !proxy.grpc) {
      if (proxy.interceptionMode === 'NONE' && !req.kinds.has('Sidecar') && !nearbyHost(proxy, req))
        return false;
      return configConcerns(proxy, push, req, new Set(['Sidecar', 'Service']));
    }
    return configConcerns(proxy, push, req, LDS_KINDS);
  },
};

const rds: Generator = {
  typeUrl: ROUTE_TYPE,
  short: 'rds',
  generate(proxy, push, watched) {
    const key = push.proxyKey(proxy, { labels: true });
    // The list is shared by proxies alike, like its route configurations.
    return push.memo(`rds-list|${key}|${watched.key}`, () => {
      const out: Json[] = [];
      for (const name of watched.names) {
        const rc = push.memo(`rds|${key}|${name}`, () => routeConfig(proxy, push, name));
        if (rc) out.push(rc);
      }
      return out;
    });
  },
  needsPush: (proxy, push, req) => req.full && configConcerns(proxy, push, req, RDS_KINDS),
};

function routeConfig(proxy: Proxy, push: PushContext, name: string): Json | undefined {
  let rc: Json | undefined;
  if (proxy.grpc) rc = grpcRouteConfig(proxy, push, name);
  else if (proxy.type === 'router') rc = gatewayRouteConfig(proxy, push, name);
  else if (name === HTTP_PROXY_ROUTE) rc = httpProxyRouteConfig(proxy, push, name);
  else if (/^\d+$/.test(name)) rc = portRouteConfig(proxy, push, Number(name));
  return rc;
}

/** Every generator by type URL. */
export const GENERATORS: ReadonlyMap<string, Generator> = new Map(
  [cds, eds, lds, rds].map((g) => [g.typeUrl, g]),
);

/** Types whose empty subscription means "everything" (Envoy's wildcard). */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([CLUSTER_TYPE, LISTENER_TYPE]);
