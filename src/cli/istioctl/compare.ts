// `proxy-status POD`: what the control plane last sent the proxy against what the proxy holds, as
// istioctl compares them: clusters, listeners and routes, each sorted by name, without versions,
// as a unified diff with seven lines of context, or "Clusters Match" and so on.
import { structuredPatch } from 'diff';
import { CLUSTER_TYPE, LISTENER_TYPE, packAny, ROUTE_TYPE, unpackAny } from '../../envoy/index.ts';
import { resourceJson } from '../../proxy/index.ts';
import type { Json } from './json.ts';
import { dumpSection, list, obj, str } from './json.ts';

interface Kind {
  readonly title: string;
  readonly typeUrl: string;
  /** The resources of the control plane's dump (camelCase, as sent) and of the proxy's (Envoy's JSON). */
  readonly sent: (dump: unknown) => Json[];
  readonly held: (dump: unknown) => Json[];
}

const KINDS: readonly Kind[] = [
  {
    title: 'Clusters',
    typeUrl: CLUSTER_TYPE,
    sent: (d) => pick(list(dumpSection(d, 'ClustersConfigDump'), 'dynamicActiveClusters'), 'cluster'),
    held: (d) => pick(list(dumpSection(d, 'ClustersConfigDump'), 'dynamic_active_clusters'), 'cluster'),
  },
  {
    title: 'Listeners',
    typeUrl: LISTENER_TYPE,
    sent: (d) =>
      list(dumpSection(d, 'ListenersConfigDump'), 'dynamicListeners').flatMap((l) => {
        const x = obj(l, 'activeState', 'listener');
        return x ? [x] : [];
      }),
    held: (d) =>
      list(dumpSection(d, 'ListenersConfigDump'), 'dynamic_listeners').flatMap((l) => {
        const x = obj(l, 'active_state', 'listener');
        return x ? [x] : [];
      }),
  },
  {
    title: 'Routes',
    typeUrl: ROUTE_TYPE,
    sent: (d) => pick(list(dumpSection(d, 'RoutesConfigDump'), 'dynamicRouteConfigs'), 'routeConfig'),
    held: (d) => pick(list(dumpSection(d, 'RoutesConfigDump'), 'dynamic_route_configs'), 'route_config'),
  },
];

function pick(entries: readonly Json[], field: string): Json[] {
  return entries.flatMap((e) => {
    const x = obj(e, field);
    return x ? [x] : [];
  });
}

/** The resource as the proxy would print it had it received exactly these bytes. */
function asEnvoyPrintsIt(typeUrl: string, resource: Json): Json {
  return resourceJson(typeUrl, unpackAny(packAny(typeUrl, resource))) as Json;
}

function text(resources: readonly Json[]): string {
  const sorted = [...resources].sort((a, b) => ((str(a, 'name') ?? '') < (str(b, 'name') ?? '') ? -1 : 1));
  return `${JSON.stringify(sorted, null, 3)}\n`;
}

function unifiedDiff(from: string, to: string, a: string, b: string): string | undefined {
  const patch = structuredPatch(from, to, a, b, undefined, undefined, { context: 7 });
  if (patch.hunks.length === 0) return undefined;
  const lines = [`--- ${from}`, `+++ ${to}`];
  for (const h of patch.hunks) {
    lines.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    lines.push(...h.lines);
  }
  return lines.join('\n');
}

/** Go's RFC 1123 layout, as istioctl prints when RDS was last loaded. */
function rfc1123(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${two(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`;
}

function lastRdsLoad(proxyDump: unknown): string | undefined {
  const times = list(dumpSection(proxyDump, 'RoutesConfigDump'), 'dynamic_route_configs')
    .map((r) => str(r, 'last_updated'))
    .filter((t): t is string => t !== undefined)
    .sort();
  return times.at(-1);
}

/** The comparison istioctl prints for one proxy, line by line. */
export function compareDumps(controlPlaneDump: unknown, proxyDump: unknown): string[] {
  const out: string[] = [];
  for (const kind of KINDS) {
    const sent = text(kind.sent(controlPlaneDump).map((r) => asEnvoyPrintsIt(kind.typeUrl, r)));
    const held = text(kind.held(proxyDump));
    const diff = unifiedDiff(`Istiod ${kind.title}`, `Envoy ${kind.title}`, sent, held);
    if (diff !== undefined) out.push(diff);
    else if (kind.typeUrl === ROUTE_TYPE) {
      const loaded = lastRdsLoad(proxyDump);
      out.push(`Routes Match${loaded ? ` (RDS last loaded at ${rfc1123(loaded)})` : ''}`);
    } else out.push(`${kind.title} Match`);
  }
  return out;
}
