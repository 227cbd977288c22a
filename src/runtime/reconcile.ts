// Desired (planned Deployments) against actual (the pods the runtime has) → the pods to create and
// the pods to delete. Pure and idempotent: once the actions are carried out, planning again with the
// same input asks for nothing. Scaling adds or removes pods of the current template; a changed
// template rolls over as Kubernetes does (RollingUpdate within maxSurge/maxUnavailable, or Recreate).
import type { PodTemplatePlan } from './pod-plan.ts';
import { podName } from './naming.ts';

/** What reconcile needs to know about a pod the runtime has. */
export interface ActualPod {
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly hash: string;
  readonly ready: boolean;
  /** Being stopped: counts neither as available nor as a replica. */
  readonly terminating: boolean;
  /** Creation order (milliseconds); newer pods go first on scale-down. */
  readonly createdAt: number;
}

export interface CreatePod {
  readonly name: string;
  readonly plan: PodTemplatePlan;
}

export interface ReconcilePlan {
  readonly create: readonly CreatePod[];
  /** Pod keys `<namespace>/<name>`. */
  readonly remove: readonly string[];
}

export interface DesiredState {
  readonly plans: readonly PodTemplatePlan[];
  /** Deployments that exist but cannot be planned now: their pods are left as they are. */
  readonly held?: readonly { readonly namespace: string; readonly deployment: string }[];
}

export const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;
const deploymentKey = (namespace: string, deployment: string): string => `${namespace}/${deployment}`;

// Scale-down victims as Kubernetes ranks them: not ready first, then the newest.
function byVictimOrder(a: ActualPod, b: ActualPod): number {
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  return b.createdAt - a.createdAt;
}

export function reconcile(desired: DesiredState, actual: readonly ActualPod[]): ReconcilePlan {
  const create: CreatePod[] = [];
  const remove: string[] = [];
  const taken = new Set(actual.map((p) => p.name));
  const live = actual.filter((p) => !p.terminating);
  const byDeployment = new Map<string, ActualPod[]>();
  for (const p of live) {
    const k = deploymentKey(p.namespace, p.deployment);
    byDeployment.set(k, [...(byDeployment.get(k) ?? []), p]);
  }
  const wanted = new Set([
    ...desired.plans.map((p) => deploymentKey(p.namespace, p.deployment)),
    ...(desired.held ?? []).map((h) => deploymentKey(h.namespace, h.deployment)),
  ]);
  for (const [k, pods] of byDeployment)
    if (!wanted.has(k)) remove.push(...pods.map((p) => podKey(p.namespace, p.name)));

  for (const plan of desired.plans) {
    const pods = byDeployment.get(deploymentKey(plan.namespace, plan.deployment)) ?? [];
    const current = pods.filter((p) => p.hash === plan.hash).sort(byVictimOrder);
    const old = pods.filter((p) => p.hash !== plan.hash).sort(byVictimOrder);
    const add = (n: number) => {
      for (let i = 0; i < n; i++) {
        const name = podName(plan.deployment, plan.hash, taken);
        taken.add(name);
        create.push({ name, plan });
      }
    };
    const drop = (list: readonly ActualPod[]) => remove.push(...list.map((p) => podKey(p.namespace, p.name)));

    if (current.length > plan.replicas) drop(current.slice(0, current.length - plan.replicas));
    const keptCurrent = Math.min(current.length, plan.replicas);
    if (old.length === 0) {
      add(plan.replicas - keptCurrent);
      continue;
    }
    if (plan.strategy.type === 'Recreate' || plan.replicas === 0) {
      drop(old);
      continue;
    }
    const { maxSurge, maxUnavailable } = plan.strategy;
    // Surge: new pods up to replicas + maxSurge in total.
    add(
      Math.max(0, Math.min(plan.replicas - keptCurrent, plan.replicas + maxSurge - keptCurrent - old.length)),
    );
    // Old pods go while enough pods stay available; unready old pods never count, so they go first.
    const readyCurrent = current.slice(current.length - keptCurrent).filter((p) => p.ready).length;
    const readyOld = old.filter((p) => p.ready).length;
    const unreadyOld = old.length - readyOld;
    const spare = Math.max(0, readyCurrent + readyOld - (plan.replicas - maxUnavailable));
    drop(old.slice(0, unreadyOld + Math.min(readyOld, spare)));
  }
  return { create, remove };
}
