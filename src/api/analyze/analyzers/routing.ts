// Checks within and across VirtualServices: route weights, rules that can never match, and
// VirtualServices that claim the same host on the same gateway.
import type { Analyzer } from '../analyzer.ts';
import { fullName } from '../context.ts';
import { toFqdn } from '../hosts.ts';
import { msg } from '../messages.ts';
import type { VirtualService } from '../model.ts';
import { boundGateways, resolveGateway, routeLists } from './routes.ts';

function percent(n: number): string {
  return `${Math.round(n * 10) / 10}%`;
}

export const routeWeightAnalyzer: Analyzer = {
  name: 'virtualservice.RouteWeightAnalyzer',
  description: 'Checks that route weights sum to 100, and that a lone destination is not given a weight',
  inputs: ['VirtualService'],
  analyze(ctx) {
    for (const vs of ctx.list('VirtualService')) {
      for (const list of routeLists(vs)) {
        const where = `${list.rule}.route`;
        if (list.route.length === 1) {
          const w = list.route[0]!.weight;
          if (w !== undefined && w !== 100)
            ctx.report(vs, msg.singleDestinationWeightIgnored(where, w), [...list.path, 0, 'weight']);
          continue;
        }
        const total = list.route.reduce((sum, rd) => sum + (rd.weight ?? 0), 0);
        // A total of 0 is a schema error, reported by validation.
        if (total === 0 || total === 100) continue;
        const shares = list.route
          .map((rd) => {
            const d = rd.destination;
            return `${d.host}${d.subset ? ` ${d.subset}` : ''} ${percent(((rd.weight ?? 0) * 100) / total)}`;
          })
          .join(', ');
        ctx.report(vs, msg.routeWeightsNotHundred(where, total, shares), list.path);
      }
    }
  },
};

/** JSON with sorted keys, so that equal matches compare equal whatever their field order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => k !== 'name' && v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const unreachableRuleAnalyzer: Analyzer = {
  name: 'virtualservice.UnreachableRuleAnalyzer',
  description:
    'Checks for VirtualService rules that can never match because an earlier rule takes their traffic',
  inputs: ['VirtualService'],
  analyze(ctx) {
    for (const vs of ctx.list('VirtualService')) {
      for (const proto of ['http', 'tcp', 'tls'] as const) {
        const rules = (vs.spec[proto] ?? []) as readonly { name?: string; match?: readonly unknown[] }[];
        const seen = new Map<string, number>();
        let catchAll: number | undefined;
        rules.forEach((rule, i) => {
          const label = rule.name ? JSON.stringify(rule.name) : `#${i}`;
          const at = ['spec', proto, i];
          if (catchAll !== undefined) {
            ctx.report(vs, msg.unreachableRule(label, 'only the last rule can have no matches'), at);
            return;
          }
          const matches = rule.match ?? [];
          if (matches.length === 0) {
            catchAll = i;
            return;
          }
          const dups = matches.map((m) => seen.get(canonical(m)));
          if (dups.every((d) => d !== undefined)) {
            ctx.report(vs, msg.unreachableRule(label, 'all matches used by prior rules'), at);
          } else {
            dups.forEach((d, j) => {
              if (d !== undefined)
                ctx.report(vs, msg.ineffectiveMatch(label, `#${j}`, `#${d}`), [...at, 'match', j]);
            });
          }
          matches.forEach((m) => {
            const key = canonical(m);
            if (!seen.has(key)) seen.set(key, i);
          });
        });
      }
    }
  },
};

export const conflictingHostsAnalyzer: Analyzer = {
  name: 'virtualservice.ConflictingHostsAnalyzer',
  description: 'Checks for VirtualServices that define the same host for the same gateway',
  inputs: ['VirtualService'],
  analyze(ctx) {
    // key → VirtualServices, keyed by mesh scope or by gateway, plus the host.
    const groups = new Map<string, { gateway: string; host: string; list: VirtualService[] }>();
    const add = (key: string, gateway: string, host: string, vs: VirtualService) => {
      const g = groups.get(key) ?? { gateway, host, list: [] };
      if (!g.list.includes(vs)) g.list.push(vs);
      groups.set(key, g);
    };
    for (const vs of ctx.list('VirtualService')) {
      const ns = vs.metadata.namespace ?? 'default';
      const exportTo = vs.spec.exportTo ?? [];
      const scopes =
        exportTo.length === 0 || exportTo.includes('*') ? ['*'] : exportTo.map((e) => (e === '.' ? ns : e));
      for (const host of vs.spec.hosts ?? []) {
        const fqdn = toFqdn(ns, host);
        for (const g of boundGateways(vs)) {
          if (g === 'mesh') for (const s of new Set(scopes)) add(`mesh|${s}|${fqdn}`, 'mesh', fqdn, vs);
          else {
            const gw = resolveGateway(ns, g);
            add(`${gw}|${fqdn}`, gw, fqdn, vs);
          }
        }
      }
    }
    for (const { gateway, host, list } of groups.values()) {
      if (list.length < 2) continue;
      const names = list.map((v) => fullName(v)).join(',');
      for (const vs of list) {
        const m =
          gateway === 'mesh'
            ? msg.conflictingMeshGatewayHosts(names, host)
            : msg.conflictingGatewayHosts(names, gateway, host);
        ctx.report(vs, m, ['metadata', 'name']);
      }
    }
  },
};
