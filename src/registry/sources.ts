// Reading registry records out of config resources: Kubernetes Service, Pod and Deployment,
// Istio ServiceEntry and WorkloadEntry. Only the fields the registry needs are read.
import type {
  Deployment,
  Endpoints,
  Pod,
  Resource,
  Service,
  ServiceEntry,
  WorkloadEntry,
} from '../api/index.ts';
import { resolveHost, serviceHost } from './hosts.ts';
import type { Locality, MeshService, Resolution, ServicePort, Workload } from './model.ts';
import { protocolOf } from './model.ts';

/** A service plus how its endpoints are found. */
export interface ServiceRecord {
  readonly service: MeshService;
  /** Pods/WorkloadEntries selected by labels in the service's namespace. */
  readonly selector?: Readonly<Record<string, string>>;
  /** Endpoints written inline (ServiceEntry `endpoints`, or the host itself for DNS). */
  readonly staticEndpoints: readonly Workload[];
}

/** The parts of a pod template (a Deployment's or a Pod's) a workload is made from. */
export interface PodTemplate {
  readonly metadata?: { labels?: Record<string, string> };
  readonly spec?: {
    serviceAccountName?: string;
    serviceAccount?: string;
    containers?: readonly { ports?: readonly { name?: string; containerPort: number }[] }[];
  };
}

const EXPORT_ANNOTATION = 'networking.istio.io/exportTo';

function namespaceOf(r: Resource): string {
  return r.metadata.namespace ?? 'default';
}

/** Istio's locality label "region/zone/subzone". */
export function parseLocality(text: string | undefined): Locality | undefined {
  if (!text) return undefined;
  const [region = '', zone = '', subZone = ''] = text.split('/');
  return { region, zone, subZone };
}

function exportTo(r: Resource, written: readonly string[] | undefined): readonly string[] {
  const list = written ?? r.metadata.annotations[EXPORT_ANNOTATION]?.split(',').map((s) => s.trim());
  if (!list || list.length === 0) return ['*'];
  return list.map((ns) => (ns === '.' ? namespaceOf(r) : ns));
}

export function kubeServiceRecord(r: Service, domain: string): ServiceRecord {
  const spec = r.spec;
  const ns = namespaceOf(r);
  const ports: ServicePort[] = (spec.ports ?? []).map((p) => ({
    name: p.name ?? '',
    port: p.port,
    targetPort: p.targetPort ?? p.port,
    protocol: protocolOf(p.appProtocol, p.name),
  }));
  const headless = spec.clusterIP === 'None';
  const external = spec.type === 'ExternalName' && spec.externalName;
  const service: MeshService = {
    hostname: serviceHost(r.metadata.name, ns, domain),
    name: r.metadata.name,
    namespace: ns,
    ...(spec.clusterIP && !headless ? { address: spec.clusterIP } : {}),
    ports,
    resolution: external ? 'DNS' : headless && !spec.selector ? 'PASSTHROUGH' : 'CLIENT_SIDE_LB',
    meshExternal: Boolean(external),
    labels: r.metadata.labels,
    exportTo: exportTo(r, undefined),
    origin: 'kubernetes',
  };
  const staticEndpoints: Workload[] = external ? [dnsWorkload(spec.externalName!, ns, r.metadata.name)] : [];
  return { service, ...(spec.selector && !external ? { selector: spec.selector } : {}), staticEndpoints };
}

function dnsWorkload(host: string, namespace: string, name: string): Workload {
  return {
    kind: 'workloadentry',
    name,
    namespace,
    labels: {},
    serviceAccount: '',
    address: host,
    appAddress: host,
    ready: true,
    namedPorts: {},
  };
}

function entryWorkload(spec: WorkloadEntry['spec'], namespace: string, name: string): Workload {
  return {
    kind: 'workloadentry',
    name,
    namespace,
    labels: spec.labels ?? {},
    serviceAccount: spec.serviceAccount ?? 'default',
    address: spec.address ?? '',
    appAddress: spec.address ?? '',
    ready: true,
    namedPorts: {},
    ...(spec.ports ? { portOverrides: spec.ports } : {}),
    ...(spec.locality ? { locality: parseLocality(spec.locality)! } : {}),
    ...(spec.weight ? { weight: spec.weight } : {}),
    ...(spec.network ? { network: spec.network } : {}),
  };
}

const RESOLUTION: Record<string, Resolution> = {
  NONE: 'PASSTHROUGH',
  STATIC: 'CLIENT_SIDE_LB',
  DNS: 'DNS',
  DNS_ROUND_ROBIN: 'DNS_ROUND_ROBIN',
};

/** One record per host of a ServiceEntry (Istio creates one service per host). */
export function serviceEntryRecords(r: ServiceEntry, domain: string): ServiceRecord[] {
  const spec = r.spec;
  const ns = namespaceOf(r);
  const resolution = RESOLUTION[spec.resolution ?? 'NONE'] ?? 'PASSTHROUGH';
  const ports: ServicePort[] = (spec.ports ?? []).map((p) => ({
    name: p.name ?? '',
    port: p.number,
    ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    protocol: protocolOf(p.protocol, p.name),
  }));
  const address = spec.addresses?.[0];
  return spec.hosts.map((h) => {
    const hostname = resolveHost(h, ns, domain);
    const written = (spec.endpoints ?? []).map((e, i) => entryWorkload(e, ns, `${r.metadata.name}-${i}`));
    // DNS resolution with no endpoints: the host itself is the endpoint.
    const staticEndpoints =
      written.length === 0 &&
      !spec.workloadSelector &&
      (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN')
        ? [dnsWorkload(hostname, ns, r.metadata.name)]
        : written;
    const service: MeshService = {
      hostname,
      name: hostname,
      namespace: ns,
      ...(address ? { address } : {}),
      ports,
      resolution,
      meshExternal: (spec.location ?? 'MESH_EXTERNAL') === 'MESH_EXTERNAL',
      labels: r.metadata.labels,
      exportTo: exportTo(r, spec.exportTo),
      origin: 'serviceentry',
    };
    const selector = spec.workloadSelector?.labels;
    return { service, ...(selector ? { selector } : {}), staticEndpoints };
  });
}

export function workloadEntryWorkload(r: WorkloadEntry): Workload {
  return entryWorkload(r.spec, namespaceOf(r), r.metadata.name);
}

/** A Pod record from config; only pods that carry an address (status.podIP) can be endpoints. */
export function podWorkload(r: Pod): Workload | undefined {
  const status = (
    r as unknown as { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }
  ).status;
  if (!status?.podIP) return undefined;
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status !== 'False';
  return workloadFromTemplate(
    { metadata: { labels: { ...r.metadata.labels } }, spec: r.spec },
    { name: r.metadata.name, namespace: namespaceOf(r), address: status.podIP, ready },
  );
}

export interface PodPlacement {
  readonly name: string;
  readonly namespace: string;
  /** The pod address (the sidecar binds it). */
  readonly address: string;
  /** Where the app listens; defaults to the pod address. */
  readonly appAddress?: string;
  readonly ready?: boolean;
  readonly locality?: Locality;
}

/** A pod built from a pod template (a Deployment's or a Pod's own spec) and where it runs; the
 * local runtime calls this for each replica it starts. */
export function workloadFromTemplate(template: PodTemplate, placement: PodPlacement): Workload {
  const namedPorts: Record<string, number> = {};
  for (const c of template.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name) namedPorts[p.name] = p.containerPort;
  const labels = template.metadata?.labels ?? {};
  const locality = placement.locality ?? parseLocality(labels['istio-locality']?.replaceAll('.', '/'));
  return {
    kind: 'pod',
    name: placement.name,
    namespace: placement.namespace,
    labels,
    serviceAccount: template.spec?.serviceAccountName ?? template.spec?.serviceAccount ?? 'default',
    address: placement.address,
    appAddress: placement.appAddress ?? placement.address,
    ready: placement.ready ?? true,
    namedPorts,
    ...(locality ? { locality } : {}),
  };
}

/** The pod template of a Deployment resource. */
export function deploymentTemplate(r: Deployment): PodTemplate {
  return r.spec.template;
}

/** Addresses of a Kubernetes Endpoints object, for a Service without a selector (its endpoints are
 * managed by hand). Ports map by name to the Service's ports. */
export function endpointsWorkloads(ep: Endpoints, service: MeshService): Workload[] {
  const out: Workload[] = [];
  for (const subset of ep.subsets ?? []) {
    const ports: Record<string, number> = {};
    for (const p of subset.ports ?? []) {
      const name = p.name ?? service.ports[0]?.name ?? '';
      ports[name] = p.port;
    }
    const add = (ready: boolean) => (a: { ip: string; targetRef?: { name?: string } | undefined }) =>
      out.push({
        kind: 'pod',
        name: a.targetRef?.name ?? a.ip,
        namespace: service.namespace,
        labels: {},
        serviceAccount: 'default',
        address: a.ip,
        appAddress: a.ip,
        ready,
        namedPorts: {},
        portOverrides: ports,
      });
    (subset.addresses ?? []).forEach(add(true));
    (subset.notReadyAddresses ?? []).forEach(add(false));
  }
  return out;
}
