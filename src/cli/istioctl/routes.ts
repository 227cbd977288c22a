// `proxy-config route`: istioctl's NAME, VHOST NAME, DOMAINS, MATCH and VIRTUAL SERVICE, one row
// per route, for route configurations loaded by RDS and those inline in listeners.
import { renderTable } from '../render/table.ts';
import type { Json } from './json.ts';
import { dumpSection, list, obj, str, strings } from './json.ts';
import { dumpListeners, filterChains } from './listeners.ts';
import { describeManagement, describeRouteMatch } from './names.ts';

export interface RouteFilter {
  readonly name?: string;
}

const numeric = (n: string) => (/^\d+$/.test(n) ? Number(n) : undefined);

/** RDS route configurations, then the listeners' inline ones; numeric names (ports) first, ascending. */
export function dumpRoutes(dump: unknown): Json[] {
  const section = dumpSection(dump, 'RoutesConfigDump');
  const fromRds = [...list(section, 'dynamic_route_configs'), ...list(section, 'static_route_configs')]
    .map((r) => obj(r, 'route_config'))
    .filter((r): r is Json => r !== undefined);
  const inline = dumpListeners(dump).flatMap((l) =>
    filterChains(l)
      .flatMap((fc) => list(fc, 'filters'))
      .map((f) => obj(f, 'typed_config', 'route_config'))
      .filter((r): r is Json => r !== undefined),
  );
  const seen = new Set<string>();
  const all = [...fromRds, ...inline].filter((r) => {
    const key = str(r, 'name') ?? JSON.stringify(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return all.sort((a, b) => {
    const x = numeric(str(a, 'name') ?? '');
    const y = numeric(str(b, 'name') ?? '');
    if (x !== undefined && y !== undefined) return x - y;
    if (x !== undefined) return -1;
    if (y !== undefined) return 1;
    return 0;
  });
}

export function filterRoutes(routes: readonly Json[], f: RouteFilter): Json[] {
  return routes.filter((r) => !f.name || str(r, 'name') === f.name);
}

/** Drops the long forms of a name whose short form is also listed (reviews.default.svc.cluster.local). */
function unexpand(domains: readonly string[], host: (d: string) => string): string[] {
  const hosts = new Set(domains.map(host));
  return domains.filter((d) => {
    const h = host(d);
    const full = h.endsWith('.svc.cluster.local') ? h.slice(0, -'.svc.cluster.local'.length) : h;
    const partial = h.endsWith('.svc') ? h.slice(0, -'.svc'.length) : h;
    return !((full !== h && hosts.has(full)) || (partial !== h && hosts.has(partial)));
  });
}

/**
 * istioctl's DOMAINS: the names without a port, long forms dropped, two at most. Local mode's
 * HTTP_PROXY route names every host with its port, so when nothing is left those are shown the same way.
 */
export function describeDomains(domains: readonly string[]): string {
  if (domains.length === 0) return '';
  if (domains.length === 1) return domains[0]!;
  const withoutPort = domains.filter((d) => !d.includes(':') || (d.split(':').length > 3 && d.endsWith(']')));
  const shown =
    withoutPort.length > 0
      ? unexpand(withoutPort, (d) => d)
      : unexpand(domains, (d) => d.replace(/:\d+$/, ''));
  return shown.length > 2
    ? `${shown.slice(0, 2).join(', ')} + ${shown.length - 2} more...`
    : shown.join(', ');
}

const isPassthrough = (r: Json) => str(r, 'route', 'cluster') === 'PassthroughCluster';

export function routeTable(configs: readonly Json[], options: { typePrefix?: boolean } = {}): string[] {
  const rows: string[][] = [['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE']];
  for (const rc of configs) {
    const name = options.typePrefix ? `route/${str(rc, 'name') ?? ''}` : (str(rc, 'name') ?? '');
    for (const vh of list(rc, 'virtual_hosts')) {
      const vhName = str(vh, 'name') ?? '';
      const domains = describeDomains(strings(vh, 'domains'));
      const routes = list(vh, 'routes');
      for (const r of routes)
        if (!isPassthrough(r))
          rows.push([
            name,
            vhName,
            domains,
            describeRouteMatch(obj(r, 'match')),
            describeManagement(obj(r, 'metadata')),
          ]);
      if (routes.length === 0) rows.push([name, vhName, domains, '/*', '404']);
    }
  }
  return renderTable(rows, 5);
}
