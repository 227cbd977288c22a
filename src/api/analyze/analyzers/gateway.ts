// Gateway checks: the selector must match a gateway workload, or the Gateway's servers are
// programmed nowhere.
import type { Analyzer } from '../analyzer.ts';
import { msg } from '../messages.ts';
import { formatSelector, labelsMatch } from '../workloads.ts';

export const gatewaySelectorAnalyzer: Analyzer = {
  name: 'gateway.SelectorAnalyzer',
  description: "Checks that a Gateway's selector matches some gateway workload",
  inputs: ['Gateway', 'Deployment', 'Pod'],
  analyze(ctx) {
    for (const gw of ctx.list('Gateway')) {
      const selector = gw.spec.selector ?? {};
      // An empty selector means every gateway workload; there is nothing to misspell.
      if (Object.keys(selector).length === 0) continue;
      // Gateways select workloads in any namespace, as Istio's do by default.
      if (ctx.workloads.some((w) => labelsMatch(selector, w.labels))) continue;
      ctx.report(gw, msg.referencedResourceNotFound('selector', formatSelector(selector)), [
        'spec',
        'selector',
      ]);
    }
  },
};
