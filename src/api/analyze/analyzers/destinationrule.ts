// DestinationRule checks: the host exists, each routed-to subset selects some workload, and rules for one host in one namespace merge without losing settings.
import type { Analyzer } from '../analyzer.ts';
import { fullName, oldestFirst } from '../context.ts';
import { hostKey } from '../hosts.ts';
import { msg } from '../messages.ts';
import type { DestinationRule } from '../model.ts';
import { labelsMatch } from '../workloads.ts';
import { destinations } from './routes.ts';

export const destinationRuleHostAnalyzer: Analyzer = {
  name: 'destinationrule.UnknownHostAnalyzer',
  description: 'Checks that the host of a DestinationRule is a Service or ServiceEntry host',
  inputs: ['DestinationRule', 'Service', 'ServiceEntry'],
  analyze(ctx) {
    for (const dr of ctx.list('DestinationRule')) {
      const ns = dr.metadata.namespace ?? 'default';
      if (!ctx.services.lookup(ns, dr.spec.host, dr.spec.exportTo))
        ctx.report(dr, msg.unknownDestinationRuleHost(dr.spec.host), ['spec', 'host']);
    }
  },
};

export const subsetSelectsPodsAnalyzer: Analyzer = {
  name: 'destinationrule.SubsetSelectPodAnalyzer',
  description:
    "Checks that each routed-to subset's labels, with the service's selector, select some workload",
  inputs: ['DestinationRule', 'VirtualService', 'Service', 'ServiceEntry', 'Deployment', 'Pod'],
  analyze(ctx) {
    // Only subsets that routes send traffic to can cause 503s; Istio's own sample rules define
    // subsets ahead of the versions deployed (Bookinfo's ratings v2-mysql), which is harmless.
    const routed = new Set<string>();
    for (const vs of ctx.list('VirtualService')) {
      const ns = vs.metadata.namespace ?? 'default';
      for (const d of destinations(vs))
        if (d.destination.subset) routed.add(`${hostKey(ns, d.destination.host)}+${d.destination.subset}`);
    }
    for (const dr of ctx.list('DestinationRule')) {
      const ns = dr.metadata.namespace ?? 'default';
      const target = ctx.services.lookup(ns, dr.spec.host, dr.spec.exportTo);
      // Hosts that are not found are reported by UnknownHostAnalyzer; hosts without a selector
      // (external ServiceEntries, Services with manual endpoints) have no workloads to match.
      if (!target?.selector) continue;
      const selector = target.selector;
      const candidates = ctx.workloads.filter((w) => w.namespace === target.namespace);
      const key = hostKey(ns, dr.spec.host);
      dr.spec.subsets?.forEach((s, i) => {
        if (!routed.has(`${key}+${s.name}`)) return;
        const wanted = { ...selector, ...s.labels };
        if (!candidates.some((w) => labelsMatch(wanted, w.labels)))
          ctx.report(dr, msg.subsetNotSelectPods(s.name), ['spec', 'subsets', i, 'labels']);
      });
    }
  },
};

export const conflictingDestinationRulesAnalyzer: Analyzer = {
  name: 'destinationrule.ConflictingDestinationRulesAnalyzer',
  description: 'Checks DestinationRules of one namespace for the same host, which are merged oldest first',
  inputs: ['DestinationRule'],
  analyze(ctx) {
    // Rules with a workloadSelector apply to chosen clients only and are not merged with the rest.
    const groups = new Map<string, DestinationRule[]>();
    for (const dr of ctx.list('DestinationRule')) {
      if (dr.spec.workloadSelector) continue;
      const ns = dr.metadata.namespace ?? 'default';
      const key = `${ns}|${hostKey(ns, dr.spec.host)}`;
      groups.set(key, [...(groups.get(key) ?? []), dr]);
    }
    for (const [key, list] of groups) {
      if (list.length < 2) continue;
      const host = key.slice(key.indexOf('|') + 1);
      const ordered = oldestFirst(list);
      const policyOwner = ordered.find((d) => d.spec.trafficPolicy !== undefined);
      const subsetOwner = new Map<string, DestinationRule>();
      for (const dr of ordered) {
        const ignored: { what: string; owner: string }[] = [];
        if (dr.spec.trafficPolicy !== undefined && policyOwner !== dr)
          ignored.push({ what: 'trafficPolicy', owner: fullName(policyOwner!) });
        for (const s of dr.spec.subsets ?? []) {
          const owner = subsetOwner.get(s.name);
          if (!owner) subsetOwner.set(s.name, dr);
          else if (owner !== dr)
            ignored.push({ what: `subset ${JSON.stringify(s.name)}`, owner: fullName(owner) });
        }
        if (ignored.length > 0) {
          ctx.report(dr, msg.conflictingDestinationRules(host, ignored), ['spec', 'host']);
        } else {
          const others = ordered.filter((d) => d !== dr).map((d) => fullName(d));
          ctx.report(dr, msg.mergedDestinationRules(host, others.join(',')), ['spec', 'host']);
        }
      }
    }
  },
};
