// `proxy-config endpoint`: istioctl's ENDPOINT, STATUS, OUTLIER CHECK and CLUSTER from the proxy's
// /clusters?format=json; `proxy-config all` lists the config dump's EDS instead (NAME, STATUS,
// LOCALITY, CLUSTER), as istioctl does.
import { renderTable } from '../render/table.ts';
import type { Json } from './json.ts';
import { dumpSection, list, num, obj, str } from './json.ts';
import { compareClusterNames } from './names.ts';

export interface EndpointFilter {
  readonly address?: string;
  readonly port?: number;
  readonly cluster?: string;
  readonly status?: string;
}

export interface HostRow {
  readonly address: string;
  readonly port: number;
  readonly cluster: string;
  readonly status: string;
  readonly outlierFailed: boolean;
  /** The host status as the admin API gave it, for -o json. */
  readonly raw: Json;
}

function matches(f: EndpointFilter, h: Omit<HostRow, 'outlierFailed' | 'raw'>): boolean {
  if (f.address && h.address.toLowerCase() !== f.address.toLowerCase()) return false;
  if (f.port && h.port !== f.port) return false;
  if (f.cluster && h.cluster.toLowerCase() !== f.cluster.toLowerCase()) return false;
  if (f.status && h.status.toLowerCase() !== f.status.toLowerCase()) return false;
  return true;
}

/** Every host of every cluster in /clusters?format=json that passes the filter. */
export function clusterHosts(clusters: unknown, f: EndpointFilter): HostRow[] {
  const rows: HostRow[] = [];
  for (const c of list(clusters, 'cluster_statuses'))
    for (const h of list(c, 'host_statuses')) {
      const row = {
        address: str(h, 'address', 'socket_address', 'address') ?? '',
        port: num(h, 'address', 'socket_address', 'port_value') ?? 0,
        cluster: str(c, 'name') ?? '',
        // Proto3 JSON leaves out the enum's zero value, UNKNOWN.
        status: str(h, 'health_status', 'eds_health_status') ?? 'UNKNOWN',
      };
      if (matches(f, row))
        rows.push({ ...row, outlierFailed: obj(h, 'health_status')?.failed_outlier_check === true, raw: h });
    }
  return rows.sort(
    (a, b) =>
      (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) ||
      a.port - b.port ||
      (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0),
  );
}

export function endpointTable(hosts: readonly HostRow[]): string[] {
  return renderTable(
    [
      ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'],
      ...hosts.map((h) => [`${h.address}:${h.port}`, h.status, h.outlierFailed ? 'FAILED' : 'OK', h.cluster]),
    ],
    5,
  );
}

function locality(l: Json | undefined): string {
  const parts = [str(l, 'region'), str(l, 'zone'), str(l, 'sub_zone')].map((x) => x ?? '');
  return parts.every((p) => p === '') ? '' : parts.join('/');
}

/** The EDS part of a config dump (?include_eds) as istioctl summarises it in `all`. */
export function edsTable(dump: unknown, f: EndpointFilter, options: { typePrefix?: boolean } = {}): string[] {
  const assignments = list(dumpSection(dump, 'EndpointsConfigDump'), 'dynamic_endpoint_configs')
    .map((e) => obj(e, 'endpoint_config'))
    .filter((e): e is Json => e !== undefined)
    .sort((a, b) => compareClusterNames(str(a, 'cluster_name') ?? '', str(b, 'cluster_name') ?? ''));
  const rows: string[][] = [['NAME', 'STATUS', 'LOCALITY', 'CLUSTER']];
  for (const cla of assignments) {
    const cluster = str(cla, 'cluster_name') ?? '';
    for (const group of list(cla, 'endpoints'))
      for (const ep of list(group, 'lb_endpoints')) {
        const row = {
          address: str(ep, 'endpoint', 'address', 'socket_address', 'address') ?? '',
          port: num(ep, 'endpoint', 'address', 'socket_address', 'port_value') ?? 0,
          cluster,
          status: str(ep, 'health_status') ?? 'UNKNOWN',
        };
        if (!matches(f, row)) continue;
        const name = `${row.address}:${row.port}`;
        rows.push([
          options.typePrefix ? `endpoint/${name}` : name,
          row.status,
          locality(obj(group, 'locality')),
          cluster,
        ]);
      }
  }
  return renderTable(rows, 5);
}
