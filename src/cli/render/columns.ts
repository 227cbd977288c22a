// The columns `get` shows per kind: Kubernetes' built-in printers for core kinds, and the
// additionalPrinterColumns of Istio's CRDs (JSON values print as JSON, as kubectl prints them).
import type { ObjectJson } from '../../config/index.ts';
import { formatSelector } from '../../config/index.ts';
import type { Selector } from '../../config/index.ts';
import { humanAge } from './table.ts';

export interface Column {
  readonly header: string;
  /** Shown only with -o wide. */
  readonly wide?: boolean;
  value(object: ObjectJson, now: Date): string;
}

type Json = Record<string, unknown>;

function field(object: unknown, path: string): unknown {
  let v = object;
  for (const p of path.split('.')) v = v && typeof v === 'object' ? (v as Json)[p] : undefined;
  return v;
}

/** A CRD column: strings as they are, lists and maps as JSON, absent as empty. */
function jsonPath(header: string, path: string): Column {
  return {
    header,
    value: (o) => {
      const v = field(o, path);
      if (v === undefined || v === null) return '';
      return typeof v === 'string' ? v : JSON.stringify(v);
    },
  };
}

const age: Column = {
  header: 'AGE',
  value: (o, now) => {
    const created = field(o, 'metadata.creationTimestamp');
    return typeof created === 'string' ? humanAge(now.getTime() - Date.parse(created)) : '<unknown>';
  },
};

function num(object: unknown, path: string, fallback = 0): number {
  const v = field(object, path);
  return typeof v === 'number' ? v : fallback;
}

function list(object: unknown, path: string): Json[] {
  const v = field(object, path);
  return Array.isArray(v) ? (v as Json[]) : [];
}

function servicePorts(o: ObjectJson): string {
  const ports = list(o, 'spec.ports').map(
    (p) =>
      `${String(p.port)}${p.nodePort !== undefined ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
  );
  return ports.length ? ports.join(',') : '<none>';
}

function externalIp(o: ObjectJson): string {
  const external = field(o, 'spec.externalIPs');
  if (Array.isArray(external) && external.length) return external.join(',');
  if (field(o, 'spec.type') === 'LoadBalancer') {
    const ingress = list(o, 'status.loadBalancer.ingress').map((i) => String(i.ip ?? i.hostname));
    return ingress.length ? ingress.join(',') : '<pending>';
  }
  return '<none>';
}

function selectorText(v: unknown, asMatchLabels: boolean): string {
  if (!v || typeof v !== 'object') return '<none>';
  const s = formatSelector((asMatchLabels ? { matchLabels: v } : v) as Selector);
  return s || '<none>';
}

const CORE: Record<string, readonly Column[]> = {
  Namespace: [{ header: 'STATUS', value: (o) => String(field(o, 'status.phase') ?? 'Active') }, age],
  Service: [
    { header: 'TYPE', value: (o) => String(field(o, 'spec.type') ?? 'ClusterIP') },
    { header: 'CLUSTER-IP', value: (o) => String(field(o, 'spec.clusterIP') ?? '<none>') },
    { header: 'EXTERNAL-IP', value: externalIp },
    { header: 'PORT(S)', value: servicePorts },
    age,
    { header: 'SELECTOR', wide: true, value: (o) => selectorText(field(o, 'spec.selector'), true) },
  ],
  Deployment: [
    { header: 'READY', value: (o) => `${num(o, 'status.readyReplicas')}/${num(o, 'spec.replicas', 1)}` },
    { header: 'UP-TO-DATE', value: (o) => String(num(o, 'status.updatedReplicas')) },
    { header: 'AVAILABLE', value: (o) => String(num(o, 'status.availableReplicas')) },
    age,
    {
      header: 'CONTAINERS',
      wide: true,
      value: (o) =>
        list(o, 'spec.template.spec.containers')
          .map((c) => String(c.name))
          .join(','),
    },
    {
      header: 'IMAGES',
      wide: true,
      value: (o) =>
        list(o, 'spec.template.spec.containers')
          .map((c) => String(c.image))
          .join(','),
    },
    { header: 'SELECTOR', wide: true, value: (o) => selectorText(field(o, 'spec.selector'), false) },
  ],
  Pod: [
    {
      header: 'READY',
      value: (o) => {
        const statuses = list(o, 'status.containerStatuses');
        const total = list(o, 'spec.containers').length;
        return `${statuses.filter((s) => s.ready === true).length}/${total}`;
      },
    },
    { header: 'STATUS', value: (o) => String(field(o, 'status.phase') ?? 'Pending') },
    {
      header: 'RESTARTS',
      value: (o) =>
        String(list(o, 'status.containerStatuses').reduce((n, s) => n + num(s, 'restartCount'), 0)),
    },
    age,
    { header: 'IP', wide: true, value: (o) => String(field(o, 'status.podIP') ?? '<none>') },
    { header: 'NODE', wide: true, value: (o) => String(field(o, 'spec.nodeName') ?? '<none>') },
  ],
  ServiceAccount: [{ header: 'SECRETS', value: (o) => String(list(o, 'secrets').length) }, age],
  Endpoints: [
    {
      header: 'ENDPOINTS',
      value: (o) => {
        const eps = list(o, 'subsets').flatMap((s) => {
          const ports = list(s, 'ports');
          return list(s, 'addresses').flatMap((a) =>
            ports.length ? ports.map((p) => `${String(a.ip)}:${String(p.port)}`) : [String(a.ip)],
          );
        });
        return eps.length ? eps.join(',') : '<none>';
      },
    },
    age,
  ],
};

/** Istio's CRD printer columns. */
const ISTIO: Record<string, readonly Column[]> = {
  VirtualService: [jsonPath('GATEWAYS', 'spec.gateways'), jsonPath('HOSTS', 'spec.hosts'), age],
  DestinationRule: [jsonPath('HOST', 'spec.host'), age],
  Gateway: [age],
  ServiceEntry: [
    jsonPath('HOSTS', 'spec.hosts'),
    jsonPath('LOCATION', 'spec.location'),
    jsonPath('RESOLUTION', 'spec.resolution'),
    age,
  ],
  WorkloadEntry: [age, jsonPath('ADDRESS', 'spec.address')],
  PeerAuthentication: [jsonPath('MODE', 'spec.mtls.mode'), age],
  AuthorizationPolicy: [jsonPath('ACTION', 'spec.action'), age],
};

/** Columns after NAME for `kind`; `wide` adds the -o wide ones. */
export function columnsFor(kind: string, wide: boolean): readonly Column[] {
  const all = CORE[kind] ?? ISTIO[kind] ?? [age];
  return all.filter((c) => wide || !c.wide);
}

/** kubectl's -L header: the key's last segment, upper-cased. */
export function labelColumn(key: string): Column {
  return {
    header: key.slice(key.lastIndexOf('/') + 1).toUpperCase(),
    value: (o) => {
      const labels = field(o, 'metadata.labels') as Record<string, string> | undefined;
      return labels?.[key] ?? '';
    },
  };
}

export const labelsColumn: Column = {
  header: 'LABELS',
  value: (o) => {
    const labels = Object.entries((field(o, 'metadata.labels') ?? {}) as Record<string, string>);
    return labels.length ? labels.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
  },
};
