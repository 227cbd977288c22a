// VirtualService references to other resources: gateways, destination hosts (and their ports),
// and subsets that a DestinationRule must define.
import type { Analyzer } from '../analyzer.ts';
import { fullName } from '../context.ts';
import { hostsOverlap } from '../../kinds/index.ts';
import { hostKey } from '../hosts.ts';
import { msg } from '../messages.ts';
import { destinations, resolveGateway } from './routes.ts';

/** Whether a Gateway server host (`[namespace/]host`) admits `host` of a VirtualService in `vsNamespace`. */
function serverAdmits(server: string, gatewayNamespace: string, vsNamespace: string, host: string): boolean {
  const slash = server.indexOf('/');
  const ns = slash < 0 ? '*' : server.slice(0, slash);
  const name = slash < 0 ? server : server.slice(slash + 1);
  const nsOk = ns === '*' || ns === vsNamespace || (ns === '.' && gatewayNamespace === vsNamespace);
  return nsOk && hostsOverlap(name, host);
}

export const gatewayReferenceAnalyzer: Analyzer = {
  name: 'virtualservice.GatewayAnalyzer',
  description: 'Checks that the gateways a VirtualService binds to exist and serve its hosts',
  inputs: ['VirtualService', 'Gateway'],
  analyze(ctx) {
    const gateways = new Map(ctx.list('Gateway').map((g) => [fullName(g), g]));
    for (const vs of ctx.list('VirtualService')) {
      const ns = vs.metadata.namespace ?? 'default';
      const check = (ref: string, path: (string | number)[]) => {
        if (ref === 'mesh') return;
        const gw = gateways.get(resolveGateway(ns, ref));
        if (!gw) {
          ctx.report(vs, msg.referencedResourceNotFound('gateway', ref), path);
          return;
        }
        const gwNs = gw.metadata.namespace ?? 'default';
        const servers = gw.spec.servers.flatMap((s) => s.hosts);
        const missing = (vs.spec.hosts ?? []).filter(
          (h) => !servers.some((s) => serverAdmits(s, gwNs, ns, h)),
        );
        if (missing.length > 0)
          ctx.report(vs, msg.hostNotFoundInGateway(missing, fullName(vs), fullName(gw)), path);
      };
      vs.spec.gateways?.forEach((g, i) => check(g, ['spec', 'gateways', i]));
      for (const proto of ['http', 'tcp', 'tls'] as const) {
        vs.spec[proto]?.forEach((rule, i) =>
          rule.match?.forEach((m, j) => {
            const gws = (m as { gateways?: readonly string[] }).gateways;
            gws?.forEach((g, k) => check(g, ['spec', proto, i, 'match', j, 'gateways', k]));
          }),
        );
      }
    }
  },
};

export const destinationHostAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationHostAnalyzer',
  description: 'Checks that destination hosts exist among Services and ServiceEntries, with the port used',
  inputs: ['VirtualService', 'Service', 'ServiceEntry'],
  analyze(ctx) {
    for (const vs of ctx.list('VirtualService')) {
      const ns = vs.metadata.namespace ?? 'default';
      for (const d of destinations(vs)) {
        const host = d.destination.host;
        const target = ctx.services.lookup(ns, host, vs.spec.exportTo);
        const hostPath = [...d.path, 'host'];
        if (!target) {
          ctx.report(vs, msg.referencedResourceNotFound(d.mirror ? 'mirror host' : 'host', host), hostPath);
          continue;
        }
        const port = d.destination.port?.number;
        if (port === undefined) {
          if (target.ports.length > 1)
            ctx.report(vs, msg.destinationPortSelectorRequired(host, target.ports), hostPath);
        } else if (target.ports.length > 0 && !target.ports.includes(port)) {
          ctx.report(vs, msg.referencedResourceNotFound('host:port', `${host}:${port}`), [
            ...d.path,
            'port',
            'number',
          ]);
        }
      }
    }
  },
};

export const subsetReferenceAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationRuleAnalyzer',
  description:
    'Checks that the subsets a VirtualService routes to are defined by a DestinationRule for the host',
  inputs: ['VirtualService', 'DestinationRule'],
  analyze(ctx) {
    const defined = new Set<string>();
    for (const dr of ctx.list('DestinationRule')) {
      const key = hostKey(dr.metadata.namespace ?? 'default', dr.spec.host);
      for (const s of dr.spec.subsets ?? []) defined.add(`${key}+${s.name}`);
    }
    for (const vs of ctx.list('VirtualService')) {
      const ns = vs.metadata.namespace ?? 'default';
      for (const d of destinations(vs)) {
        const { host, subset } = d.destination;
        if (!subset || defined.has(`${hostKey(ns, host)}+${subset}`)) continue;
        const what = d.mirror ? 'mirror+subset in destinationrule' : 'host+subset in destinationrule';
        ctx.report(vs, msg.referencedResourceNotFound(what, `${host}+${subset}`), [...d.path, 'subset']);
      }
    }
  },
};
