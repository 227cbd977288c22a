// `proxy-config cluster`: istioctl's SERVICE FQDN, PORT, SUBSET, DIRECTION, TYPE and DESTINATION
// RULE columns; `-o wide` adds the default-priority circuit-breaker thresholds the proxy enforces.
import { renderTable } from '../render/table.ts';
import type { Json } from './json.ts';
import { dumpSection, list, num, obj, str } from './json.ts';
import { compareClusterNames, describeManagement, parseClusterName } from './names.ts';

export interface ClusterFilter {
  readonly fqdn?: string;
  readonly port?: number;
  readonly subset?: string;
  readonly direction?: string;
}

/** Every cluster of an admin config dump (dynamic and static), in istioctl's order. */
export function dumpClusters(dump: unknown): Json[] {
  const section = dumpSection(dump, 'ClustersConfigDump');
  return [...list(section, 'dynamic_active_clusters'), ...list(section, 'static_clusters')]
    .flatMap((e) => {
      const c = obj(e, 'cluster');
      return c ? [c] : [];
    })
    .sort((a, b) => compareClusterNames(str(a, 'name') ?? '', str(b, 'name') ?? ''));
}

/** istioctl's filter: substrings of the cluster name, and `|PORT|` for the port. */
export function filterClusters(clusters: readonly Json[], f: ClusterFilter): Json[] {
  return clusters.filter((c) => {
    const name = str(c, 'name') ?? '';
    if (f.fqdn && !name.includes(f.fqdn)) return false;
    if (f.direction && !name.includes(f.direction)) return false;
    if (f.subset && !name.includes(f.subset)) return false;
    if (f.port && !name.includes(`|${f.port}|`)) return false;
    return true;
  });
}

// What Envoy enforces when a threshold is not set.
const ENVOY_DEFAULTS = {
  max_connections: 1024,
  max_pending_requests: 1024,
  max_requests: 1024,
  max_retries: 3,
};

function thresholds(cluster: Json): string[] {
  const t =
    list(cluster, 'circuit_breakers', 'thresholds').find(
      (x) => (str(x, 'priority') ?? 'DEFAULT') === 'DEFAULT',
    ) ?? {};
  return Object.entries(ENVOY_DEFAULTS).map(([field, fallback]) => String(num(t, field) ?? fallback));
}

export function clusterTable(
  clusters: readonly Json[],
  options: { wide?: boolean; typePrefix?: boolean } = {},
): string[] {
  const header = ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'];
  if (options.wide) header.push('MAX CONN', 'MAX PENDING', 'MAX REQ', 'MAX RETRIES');
  const rows = clusters.map((c) => {
    const name = str(c, 'name') ?? '';
    const key = parseClusterName(name);
    // Proto3 JSON leaves out the enum's zero value, STATIC.
    const type = str(c, 'type') ?? 'STATIC';
    const row = key.istio
      ? [
          key.fqdn,
          String(key.port),
          key.subset || '-',
          key.direction,
          type,
          describeManagement(obj(c, 'metadata')),
        ]
      : [name, '-', '-', '-', type, describeManagement(obj(c, 'metadata'))];
    if (options.typePrefix) row[0] = `cluster/${row[0]}`;
    if (options.wide) row.push(...thresholds(c));
    return row;
  });
  return renderTable([header, ...rows], 5);
}
