// The workloads analyzers match label selectors against: Deployments (by their pod template
// labels), Pods, and — in local mode — the built-in ingress gateway, which runs without a manifest.
import { selectorMatches } from '../kinds/core/selector.ts';
import type { Deployment, Pod } from './model.ts';

export type Labels = Readonly<Record<string, string>>;

export interface Workload {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
}

/** The ingress gateway local mode starts by itself, labelled as Istio's default ingress gateway. */
export const BUILTIN_INGRESS_GATEWAY: Workload = Object.freeze({
  kind: 'Deployment',
  namespace: 'istio-system',
  name: 'istio-ingressgateway',
  labels: Object.freeze({ istio: 'ingressgateway', app: 'istio-ingressgateway' }),
});

export function collectWorkloads(
  deployments: readonly Deployment[],
  pods: readonly Pod[],
  builtinIngressGateway: boolean,
): Workload[] {
  const out: Workload[] = [];
  for (const d of deployments) {
    out.push({
      kind: 'Deployment',
      namespace: d.metadata.namespace ?? 'default',
      name: d.metadata.name,
      labels: d.spec.template.metadata?.labels ?? {},
    });
  }
  for (const p of pods) {
    out.push({
      kind: 'Pod',
      namespace: p.metadata.namespace ?? 'default',
      name: p.metadata.name,
      labels: p.metadata.labels,
    });
  }
  if (builtinIngressGateway) out.push(BUILTIN_INGRESS_GATEWAY);
  return out;
}

/** Whether a map selector (Gateway selector, subset labels) selects `labels`; {} selects everything. */
export function labelsMatch(selector: Labels, labels: Labels): boolean {
  return selectorMatches({ matchLabels: { ...selector } }, labels);
}

/** "app=reviews,version=v1", the way Kubernetes prints a selector. */
export function formatSelector(selector: Labels): string {
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(',');
}
