// `proxy-status`: istioctl's table (the layout of Istio 1.22: NAME, CLUSTER, CDS, LDS, EDS, RDS,
// ECDS, ISTIOD, VERSION) from the control plane's /debug/syncz.
import { renderTable } from '../render/table.ts';
import type { Json } from './json.ts';
import { obj, str } from './json.ts';

const TYPES = ['CDS', 'LDS', 'EDS', 'RDS'] as const;

/** pod.namespace from `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`; other ids as they are. */
export function proxyName(id: string): string {
  const parts = id.split('~');
  return parts.length === 4 && parts[2] ? parts[2] : id;
}

/**
 * A type's state as istioctl prints the CSDS status: SYNCED, STALE, NOT SENT, and ERROR for a
 * configuration the proxy rejected (a NACK). Caravel serves no ECDS, so that column is NOT SENT.
 */
function status(row: Json, type: string): string {
  const s = str(row, type);
  if (s === 'NACK') return 'ERROR';
  return s ?? 'NOT SENT';
}

export function statusTable(
  rows: readonly Json[],
  controlPlane: string,
  controlPlaneVersion: string,
): string[] {
  const name = (r: Json) => proxyName(str(r, 'proxy') ?? '');
  const sorted = [...rows].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  return renderTable(
    [
      ['NAME', 'CLUSTER', ...TYPES, 'ECDS', 'ISTIOD', 'VERSION'],
      ...sorted.map((row) => [
        proxyName(str(row, 'proxy') ?? ''),
        str(row, 'cluster_id') || 'Kubernetes',
        ...TYPES.map((t) => status(row, t)),
        'NOT SENT',
        controlPlane,
        str(row, 'istio_version') || controlPlaneVersion,
      ]),
    ],
    5,
  );
}

const NACK_FIELDS = [
  ['CDS', 'cluster_nack'],
  ['LDS', 'listener_nack'],
  ['RDS', 'route_nack'],
  ['EDS', 'endpoint_nack'],
] as const;

/** One line per rejected type: what the proxy said when it NACKed. */
export function nackLines(row: Json): string[] {
  const out: string[] = [];
  for (const [type, field] of NACK_FIELDS) {
    const nack = obj(row, field);
    if (nack)
      out.push(
        `${type} rejected by the proxy at ${str(nack, 'at') ?? '?'}: ${str(nack, 'error') ?? 'no reason given'}`,
      );
  }
  return out;
}
