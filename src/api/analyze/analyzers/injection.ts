// Namespaces whose workloads receive routed traffic but get no sidecar: the routing rules only
// take effect for the callers, and the workloads take no part in mTLS or telemetry.
import type { Analyzer } from '../analyzer.ts';
import { msg } from '../messages.ts';
import { destinations } from './routes.ts';

const INJECTION_LABEL = 'istio-injection';
const REVISION_LABEL = 'istio.io/rev';
const SYSTEM_NAMESPACES = new Set(['istio-system', 'kube-system', 'kube-public', 'kube-node-lease']);

export const namespaceInjectionAnalyzer: Analyzer = {
  name: 'injection.Analyzer',
  description: 'Checks that namespaces whose workloads routing rules send traffic to have sidecar injection',
  inputs: ['Namespace', 'VirtualService', 'Service', 'ServiceEntry'],
  analyze(ctx) {
    const routedTo = new Set<string>();
    for (const vs of ctx.list('VirtualService')) {
      const ns = vs.metadata.namespace ?? 'default';
      for (const d of destinations(vs)) {
        const target = ctx.services.lookup(ns, d.destination.host, vs.spec.exportTo);
        if (target?.resource.kind === 'Service' && target.selector) routedTo.add(target.namespace);
      }
    }
    for (const ns of ctx.list('Namespace')) {
      const name = ns.metadata.name;
      const labels = ns.metadata.labels;
      if (SYSTEM_NAMESPACES.has(name) || !routedTo.has(name)) continue;
      // Any value, "disabled" included, is a decision already made.
      if (labels[INJECTION_LABEL] !== undefined || labels[REVISION_LABEL] !== undefined) continue;
      ctx.report(ns, msg.namespaceNotInjected(name), ['metadata', 'labels']);
    }
  },
};
