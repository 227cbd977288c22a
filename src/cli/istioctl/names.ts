// Istio's naming conventions as istioctl reads them back: cluster names
// (`outbound|9080|v1|reviews.default.svc.cluster.local`), the Istio config an Envoy resource came
// from (filter metadata `istio.config`, `/apis/networking.istio.io/v1/namespaces/NS/KIND/NAME`),
// and route matches in istioctl's short form.
import type { Json } from './json.ts';
import { str } from './json.ts';

export interface ClusterKey {
  readonly direction: string;
  readonly port: number;
  readonly subset: string;
  readonly fqdn: string;
}

/** Istio's subset key; names that are not one (BlackHoleCluster, …) keep the whole name as fqdn. */
export function parseClusterName(name: string): ClusterKey & { readonly istio: boolean } {
  const parts = name.split('|');
  if (parts.length < 4) return { direction: '', port: 0, subset: '', fqdn: name, istio: false };
  return {
    direction: parts[0]!,
    port: Number(parts[1]) || 0,
    subset: parts[2]!,
    fqdn: parts.slice(3).join('|'),
    istio: true,
  };
}

/** istioctl's order: by host, then subset, then port, then direction. */
export function compareClusterNames(a: string, b: string): number {
  const x = parseClusterName(a);
  const y = parseClusterName(b);
  const by = (p: string, q: string) => (p < q ? -1 : p > q ? 1 : 0);
  return by(x.fqdn, y.fqdn) || by(x.subset, y.subset) || x.port - y.port || by(x.direction, y.direction);
}

/** "name.namespace" of the Istio resource recorded in `metadata.filter_metadata.istio.config`. */
export function describeManagement(metadata: Json | undefined): string {
  const config = str(metadata, 'filter_metadata', 'istio', 'config');
  if (config === undefined) return '';
  const pieces = config.split('/');
  if (
    pieces.length === 8 &&
    pieces[1] === 'apis' &&
    pieces[2] === 'networking.istio.io' &&
    pieces[4] === 'namespaces'
  )
    return `${pieces[7]}.${pieces[5]}`;
  return '<unknown>';
}

/** A route's match as istioctl summarises it (headers and query parameters left out). */
export function describeRouteMatch(match: Json | undefined): string {
  const c: string[] = [];
  const prefix = str(match, 'prefix');
  if (prefix) c.push(`${prefix}*`);
  const separated = str(match, 'path_separated_prefix');
  if (separated) c.push(`PathPrefix:${separated}`);
  const path = str(match, 'path');
  if (path) c.push(path);
  const regex = str(match, 'safe_regex', 'regex');
  if (regex !== undefined) c.push(`regex ${regex}`);
  return c.join(' ');
}
