// PeerAuthentication scopes: one mesh-wide policy (root namespace, no selector), one per
// namespace, and one per workload. When several share a scope, only the oldest applies.
import type { Analyzer } from '../analyzer.ts';
import type { AnalysisContext } from '../context.ts';
import { fullName, oldestFirst } from '../context.ts';
import { msg } from '../messages.ts';
import type { PeerAuthentication } from '../model.ts';
import { labelsMatch } from '../workloads.ts';

function mode(pa: PeerAuthentication): string {
  return pa.spec.mtls?.mode ?? 'UNSET';
}

/** The settings that decide mTLS: its mode and any per-port modes. */
function settings(pa: PeerAuthentication): string {
  const ports = Object.entries(pa.spec.portLevelMtls ?? {})
    .map(([p, m]) => `${p}=${m.mode ?? 'UNSET'}`)
    .sort();
  return [mode(pa), ...ports].join(' ');
}

/** Reports every policy of `group` that disagrees with the oldest one, which is the one applied. */
function reportGroup(ctx: AnalysisContext, scope: string, group: readonly PeerAuthentication[]): void {
  if (group.length < 2) return;
  const [oldest, ...rest] = oldestFirst(group);
  for (const pa of rest) {
    if (settings(pa) === settings(oldest!)) continue;
    ctx.report(pa, msg.conflictingPeerAuthentications(scope, fullName(oldest!), mode(oldest!), mode(pa)), [
      'spec',
      'mtls',
      'mode',
    ]);
  }
}

export const peerAuthenticationConflictAnalyzer: Analyzer = {
  name: 'peerauthentication.ConflictAnalyzer',
  description: 'Checks for PeerAuthentications of one scope (mesh, namespace or workload) that disagree',
  inputs: ['PeerAuthentication', 'Deployment', 'Pod'],
  analyze(ctx) {
    const root = ctx.options.rootNamespace;
    const byNamespace = new Map<string, PeerAuthentication[]>();
    const selective: PeerAuthentication[] = [];
    for (const pa of ctx.list('PeerAuthentication')) {
      const labels = pa.spec.selector?.matchLabels ?? {};
      if (Object.keys(labels).length > 0) selective.push(pa);
      else {
        const ns = pa.metadata.namespace ?? 'default';
        byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), pa]);
      }
    }
    for (const [ns, group] of byNamespace) {
      reportGroup(ctx, ns === root ? 'mesh-wide policies' : `namespace-wide policies of ${ns}`, group);
    }
    for (const w of ctx.workloads) {
      const group = selective.filter(
        (pa) =>
          (pa.metadata.namespace ?? 'default') === w.namespace &&
          labelsMatch(pa.spec.selector?.matchLabels ?? {}, w.labels),
      );
      reportGroup(ctx, `policies of workload ${w.namespace}/${w.name}`, group);
    }
  },
};
