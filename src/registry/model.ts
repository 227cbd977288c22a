// The service registry's model: services (Kubernetes Services and ServiceEntries), the workloads
// behind them (pods and WorkloadEntries) and the endpoints joining the two.

export type Protocol =
  | 'HTTP'
  | 'HTTP2'
  | 'HTTPS'
  | 'GRPC'
  | 'GRPC-WEB'
  | 'TCP'
  | 'TLS'
  | 'UDP'
  | 'MONGO'
  | 'REDIS'
  | 'MYSQL'
  | 'UNKNOWN';

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  /** Number, or the name of a container port (Kubernetes Services only). */
  readonly targetPort?: number | string;
  readonly protocol: Protocol;
}

/** How clients reach the service's endpoints (Istio's resolution). */
export type Resolution = 'CLIENT_SIDE_LB' | 'DNS' | 'DNS_ROUND_ROBIN' | 'PASSTHROUGH';

export interface MeshService {
  /** FQDN, `reviews.default.svc.cluster.local`, or the ServiceEntry host as written. */
  readonly hostname: string;
  /** Short name (`reviews`); equal to hostname for ServiceEntry hosts. */
  readonly name: string;
  readonly namespace: string;
  /** Cluster IP or ServiceEntry address; undefined when the service has none (headless, NONE). */
  readonly address?: string;
  readonly ports: readonly ServicePort[];
  readonly resolution: Resolution;
  /** MESH_EXTERNAL ServiceEntry hosts: no sidecar on the far side. */
  readonly meshExternal: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Namespaces the service is visible in; ["*"] = everywhere (Istio's exportTo). */
  readonly exportTo: readonly string[];
  readonly origin: 'kubernetes' | 'serviceentry';
}

export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** A pod (from the local runtime, Kubernetes or a Pod record) or a WorkloadEntry. */
export interface Workload {
  readonly kind: 'pod' | 'workloadentry';
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** The pod (sidecar) address: where the mesh sends traffic for this workload. */
  readonly address: string;
  /** Where the application itself listens (local mode); the pod address otherwise. */
  readonly appAddress: string;
  readonly ready: boolean;
  readonly locality?: Locality;
  /** Container ports by name (named targetPorts resolve through this). */
  readonly namedPorts: Readonly<Record<string, number>>;
  /** WorkloadEntry port overrides by service port name. */
  readonly portOverrides?: Readonly<Record<string, number>>;
  readonly weight?: number;
  readonly network?: string;
}

export interface Endpoint {
  readonly hostname: string;
  readonly servicePort: ServicePort;
  readonly address: string;
  /** Port on the endpoint address (the service targetPort resolved for this workload). */
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly workloadName: string;
  readonly ready: boolean;
  readonly locality?: Locality;
  readonly weight: number;
}

/** What changed in the registry, so the control plane pushes only what it must. */
export interface RegistryChange {
  /** Services were added, removed or changed (ports, addresses): clusters, listeners and routes. */
  readonly servicesChanged: boolean;
  /** Hostnames whose endpoints changed: EDS for those only. */
  readonly endpointHosts: ReadonlySet<string>;
  /** Workloads that changed (a proxy's own inbound config depends on them). */
  readonly workloads: ReadonlySet<string>;
}

const KNOWN: Readonly<Record<string, Protocol>> = {
  HTTP: 'HTTP',
  HTTP2: 'HTTP2',
  H2C: 'HTTP2',
  'KUBERNETES.IO/H2C': 'HTTP2',
  HTTPS: 'HTTPS',
  GRPC: 'GRPC',
  'GRPC-WEB': 'GRPC-WEB',
  TCP: 'TCP',
  TLS: 'TLS',
  UDP: 'UDP',
  MONGO: 'MONGO',
  REDIS: 'REDIS',
  MYSQL: 'MYSQL',
};

/** The first recognised protocol among the candidates (Istio: an explicit protocol or appProtocol,
 * then the port name's prefix before "-"); UNKNOWN when none is recognised. */
export function protocolOf(...candidates: readonly (string | undefined)[]): Protocol {
  for (const c of candidates) {
    if (!c) continue;
    const p = KNOWN[c.toUpperCase()] ?? KNOWN[c.split('-')[0]!.toUpperCase()];
    if (p) return p;
  }
  return 'UNKNOWN';
}

/** HTTP-family protocols get HTTP connection managers and routes; UNKNOWN is treated as HTTP too
 * (protocol sniffing would find HTTP for the plain-text apps local mode runs). */
export function isHttp(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB' || p === 'UNKNOWN';
}

export function isHttp2(p: Protocol): boolean {
  return p === 'HTTP2' || p === 'GRPC';
}
