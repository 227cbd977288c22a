import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDeployment } from './pod-plan.ts';
import type { PodTemplatePlan } from './pod-plan.ts';
import { podKey, reconcile } from './reconcile.ts';
import type { ActualPod, DesiredState } from './reconcile.ts';
import { deployment } from './testing.ts';

type Opts = Parameters<typeof deployment>[0];
const plan = (o: Opts) => planDeployment(deployment(o), {});

let clock = 0;
/** Carries out a reconcile plan on a simulated pod list; new pods start not ready. */
function apply(desired: DesiredState, pods: ActualPod[]): ActualPod[] {
  const r = reconcile(desired, pods);
  const removed = new Set(r.remove);
  return [
    ...pods.filter((p) => !removed.has(podKey(p.namespace, p.name))),
    ...r.create.map((c) => ({
      name: c.name,
      namespace: c.plan.namespace,
      deployment: c.plan.deployment,
      hash: c.plan.hash,
      ready: false,
      terminating: false,
      createdAt: ++clock,
    })),
  ];
}
const allReady = (pods: ActualPod[]) => pods.map((p) => ({ ...p, ready: true }));

test('replicas become pods named <deployment>-<hash>-<suffix>; reconcile again asks for nothing', () => {
  const web = plan({ name: 'web', replicas: 3 });
  const pods = apply({ plans: [web] }, []);
  assert.equal(pods.length, 3);
  for (const p of pods)
    assert.match(p.name, new RegExp(`^web-${web.hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
  assert.equal(new Set(pods.map((p) => p.name)).size, 3);
  assert.deepEqual(reconcile({ plans: [web] }, pods), { create: [], remove: [] });
  assert.deepEqual(reconcile({ plans: [web] }, allReady(pods)), { create: [], remove: [] });
});

test('scaling adds and removes pods, unready and newest first', () => {
  const web3 = plan({ name: 'web', replicas: 3 });
  let pods = allReady(apply({ plans: [web3] }, []));
  pods = apply({ plans: [plan({ name: 'web', replicas: 5 })] }, pods);
  assert.equal(pods.length, 5);
  const fresh = pods.filter((p) => !p.ready).map((p) => p.name);
  const down = reconcile({ plans: [plan({ name: 'web', replicas: 3 })] }, pods);
  assert.deepEqual(down.create, []);
  assert.deepEqual(down.remove.map((k) => k.split('/')[1]).sort(), fresh.sort());
  assert.equal(reconcile({ plans: [plan({ name: 'web', replicas: 0 })] }, pods).remove.length, 5);
});

test('a deleted Deployment loses its pods; a held one keeps them; terminating pods do not count', () => {
  const web = plan({ name: 'web', replicas: 2 });
  const api = plan({ name: 'api', replicas: 1 });
  const pods = allReady(apply({ plans: [web, api] }, []));
  const r = reconcile({ plans: [api] }, pods);
  assert.deepEqual(
    [...r.remove].sort(),
    pods
      .filter((p) => p.deployment === 'web')
      .map((p) => podKey(p.namespace, p.name))
      .sort(),
  );
  assert.deepEqual(
    reconcile({ plans: [api], held: [{ namespace: 'default', deployment: 'web' }] }, pods).remove,
    [],
  );
  const dying = pods.map((p) => (p.deployment === 'api' ? { ...p, terminating: true } : p));
  assert.equal(reconcile({ plans: [web, api] }, dying).create.length, 1);
});

function rollout(
  from: PodTemplatePlan,
  to: PodTemplatePlan,
): { steps: number; maxPods: number; minReady: number } {
  let pods = allReady(apply({ plans: [from] }, []));
  let steps = 0;
  let maxPods = pods.length;
  let minReady = pods.length;
  while (pods.some((p) => p.hash !== to.hash) || pods.length !== to.replicas) {
    pods = apply({ plans: [to] }, pods);
    maxPods = Math.max(maxPods, pods.length);
    minReady = Math.min(minReady, pods.filter((p) => p.ready).length);
    pods = allReady(pods);
    if (++steps > 50) throw new Error('rollout does not converge');
  }
  assert.ok(pods.every((p) => p.hash === to.hash));
  assert.deepEqual(reconcile({ plans: [to] }, pods), { create: [], remove: [] });
  return { steps, maxPods, minReady };
}

test('a changed template rolls pods over within maxSurge and maxUnavailable', () => {
  const v1 = plan({ name: 'web', replicas: 4, env: { V: '1' } });
  const v2 = plan({ name: 'web', replicas: 4, env: { V: '2' } });
  assert.notEqual(v1.hash, v2.hash);
  // The defaults, 25 % of 4: one pod over, one pod short at most.
  const r = rollout(v1, v2);
  assert.ok(r.maxPods <= 5 && r.minReady >= 3, JSON.stringify(r));
  // No pod short: the new one must be ready before an old one goes.
  const strict = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  const s = rollout(
    plan({ name: 'web', replicas: 4, env: { V: '1' }, strategy: strict }),
    plan({ name: 'web', replicas: 4, env: { V: '2' }, strategy: strict }),
  );
  assert.deepEqual({ maxPods: s.maxPods, minReady: s.minReady }, { maxPods: 5, minReady: 4 });
  assert.ok(s.steps >= 4);
});

test('old pods that are not ready go first; Recreate removes all before adding', () => {
  const v1 = plan({ name: 'web', replicas: 2, env: { V: '1' } });
  const v2 = plan({ name: 'web', replicas: 2, env: { V: '2' } });
  const pods = apply({ plans: [v1] }, []); // none ready
  const r = reconcile({ plans: [v2] }, pods);
  assert.equal(r.remove.length, 2, 'unready old pods hold nothing up');
  const recreate = plan({ name: 'web', replicas: 2, env: { V: '2' }, strategy: { type: 'Recreate' } });
  const ready = allReady(pods);
  const first = reconcile({ plans: [recreate] }, ready);
  assert.equal(first.remove.length, 2);
  assert.equal(first.create.length, 0);
  assert.equal(reconcile({ plans: [recreate] }, []).create.length, 2);
});
