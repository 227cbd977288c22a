// The local runtime: Deployments in, pods out. It plans each Deployment, reconciles the plans with
// the pods it runs (create, scale, roll, delete), gives pods their loopback addresses, supervises
// them, and keeps the pod table in the state directory. Changes are serialised: one reconcile at a
// time, started again whenever the desired state or a pod's readiness changes.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment, Namespace } from '../api/index.ts';
import { CaravelError } from '../errors/index.ts';
import { AddressAllocator, checkBindable } from './addresses.ts';
import type { AddressOptions } from './addresses.ts';
import type { CatalogueEntry } from './catalogue.ts';
import { hostEnv, SIDECAR_PORTS } from './env.ts';
import { RuntimeStateError, WorkloadError } from './errors.ts';
import { Pod } from './pod.ts';
import type { PodInfo, PodStatus, ProxyCommandFactory } from './pod.ts';
import type { PodTemplatePlan } from './pod-plan.ts';
import { planDeployments } from './pod-plan.ts';
import type { DeploymentErrorRecord, PodRecord, PodTable } from './pod-table.ts';
import { processStartTime, readPodTable, runtimeAlive, sameProcess, writePodTable } from './pod-table.ts';
import { checkPorts } from './ports.ts';
import type { PortClaim } from './ports.ts';
import { groupAlive } from './process.ts';
import type { BackoffOptions } from './process.ts';
import type { ActualPod, CreatePod, DesiredState } from './reconcile.ts';
import { podKey, reconcile } from './reconcile.ts';

export interface RuntimeOptions {
  readonly stateDir: string;
  /** Working directory of containers that name none (default: this process's). */
  readonly cwd?: string;
  /** Command line of sidecars and gateway proxies; pods that need one fail without it. */
  readonly proxyCommand?: ProxyCommandFactory;
  readonly backoff?: BackoffOptions;
  /** How often readiness is probed (default 500 ms). */
  readonly probeIntervalMs?: number;
  /** Overrides every pod's terminationGracePeriodSeconds. */
  readonly graceMs?: number;
  readonly logCapBytes?: number;
  readonly catalogue?: readonly CatalogueEntry[];
  /** Folder the catalogue's sample programs are relative to. */
  readonly root?: string;
  readonly addresses?: AddressOptions;
  /** How soon pods that could not start because a port was taken are tried again (default 2 s). */
  readonly retryMs?: number;
  /** Host variables passed to containers (default: PATH, HOME, locale … of this process). */
  readonly hostEnv?: Readonly<Record<string, string>>;
}

export interface DesiredInput {
  readonly deployments: readonly Deployment[];
  /** Namespaces with their labels (istio-injection=enabled gives pods sidecars). */
  readonly namespaces?: readonly Pick<Namespace, 'metadata'>[];
}

export interface PodView {
  readonly info: PodInfo;
  readonly status: PodStatus;
}

export type RuntimeEvent =
  | { readonly type: 'pod'; readonly pod: PodView }
  | { readonly type: 'pod-removed'; readonly namespace: string; readonly name: string }
  | { readonly type: 'errors'; readonly errors: readonly DeploymentErrorRecord[] };

export type RuntimeListener = (event: RuntimeEvent) => void;

/** Errors found while starting pods that may pass by themselves. */
const RETRIED = new Set(['RUNTIME_PORT_IN_USE']);

function errorRecord(namespace: string, deployment: string, e: CaravelError): DeploymentErrorRecord {
  return { namespace, deployment, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
}

/** Every address:port a pod will listen on: the app's ports; the sidecar's ports on the pod address. */
export function podPortClaims(info: PodInfo, plan: PodTemplatePlan): PortClaim[] {
  const what = `pod ${info.namespace}/${info.name}`;
  const claims: PortClaim[] = [];
  for (const c of plan.containers) {
    const address = c.role === 'proxy' ? info.podIP : info.appAddress;
    for (const p of c.ports)
      claims.push({ address, port: p.containerPort, what: `${what} (container ${c.name})` });
  }
  if (plan.sidecar || plan.containers.some((c) => c.role === 'proxy')) {
    const own = plan.sidecar ? plan.containers.flatMap((c) => c.ports.map((p) => p.containerPort)) : [];
    for (const port of [...own, ...Object.values(SIDECAR_PORTS)])
      claims.push({ address: info.podIP, port, what: `${what} (proxy)` });
  }
  return claims;
}

export class LocalRuntime {
  readonly options: RuntimeOptions;
  readonly #addresses: AddressAllocator;
  readonly #pods = new Map<string, Pod>();
  readonly #removing = new Map<string, Promise<void>>();
  readonly #listeners = new Set<RuntimeListener>();
  readonly #startedAt = Date.now();
  #recovered: PodRecord[];
  #desired: DesiredState = { plans: [] };
  #errors: DeploymentErrorRecord[] = [];
  #queue: Promise<void> = Promise.resolve();
  #pending = false;
  #first = true;
  #closed = false;
  #tableTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  private constructor(options: RuntimeOptions, addresses: AddressAllocator, recovered: PodRecord[]) {
    this.options = options;
    this.#addresses = addresses;
    this.#recovered = recovered;
  }

  /**
   * Opens the runtime on a state directory: refuses one another runtime still uses, stops processes a
   * runtime killed outright left behind, and checks that pod addresses can be bound here.
   */
  static async open(options: RuntimeOptions): Promise<LocalRuntime> {
    const table = readPodTable(options.stateDir);
    if (table && table.runtime.pid !== process.pid && runtimeAlive(table))
      throw new RuntimeStateError(
        'RUNTIME_ALREADY_RUNNING',
        `another caravel (process ${table.runtime.pid}) runs the mesh from state directory ${options.stateDir}`,
        { hint: 'stop it first, or pass another --state-dir' },
      );
    if (table) await killLeftovers(table);
    const addresses = AddressAllocator.load(options.stateDir, options.addresses);
    const probe = AddressAllocator.inMemory(options.addresses).allocate('probe');
    await checkBindable(probe.podIP);
    await checkBindable(probe.appAddress);
    return new LocalRuntime(options, addresses, table ? [...table.pods] : []);
  }

  subscribe(listener: RuntimeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: RuntimeEvent): void {
    for (const l of this.#listeners) l(event);
  }

  pods(): PodView[] {
    return [...this.#pods.values()]
      .map((p) => ({ info: p.info, status: p.status() }))
      .sort((a, b) =>
        podKey(a.info.namespace, a.info.name).localeCompare(podKey(b.info.namespace, b.info.name)),
      );
  }

  errors(): readonly DeploymentErrorRecord[] {
    return this.#errors;
  }

  /**
   * Sets what should run and reconciles. On the first call every port the pods need is checked
   * before any starts: a taken one throws PortInUseError and nothing is left running.
   */
  async apply(desired: DesiredInput): Promise<void> {
    if (this.#closed) return;
    const labels = new Map((desired.namespaces ?? []).map((n) => [n.metadata.name, n.metadata.labels]));
    const outcomes = planDeployments(desired.deployments, (ns) => labels.get(ns) ?? {}, {
      ...(this.options.catalogue ? { catalogue: this.options.catalogue } : {}),
      ...(this.options.root ? { root: this.options.root } : {}),
    });
    const plans: PodTemplatePlan[] = [];
    const held: { namespace: string; deployment: string }[] = [];
    const errors: DeploymentErrorRecord[] = [];
    for (const o of outcomes) {
      if (o.ok) plans.push(o.plan);
      else {
        held.push({ namespace: o.namespace, deployment: o.deployment });
        errors.push(errorRecord(o.namespace, o.deployment, o.error));
      }
    }
    this.#desired = { plans, held };
    this.#setErrors(errors);
    await this.#schedule();
  }

  #setErrors(errors: DeploymentErrorRecord[]): void {
    this.#errors = errors;
    this.#emit({ type: 'errors', errors });
    this.#writeTableSoon();
  }

  /** Adds errors found while running, replacing earlier ones of the same Deployment and code. */
  #addErrors(added: readonly DeploymentErrorRecord[]): void {
    const id = (e: DeploymentErrorRecord) => `${e.namespace}/${e.deployment}/${e.code}`;
    const ids = new Set(added.map(id));
    this.#setErrors([...this.#errors.filter((e) => !ids.has(id(e))), ...added]);
  }

  /** Runs a reconcile after the current one; calls made meanwhile share one run. */
  #schedule(): Promise<void> {
    if (this.#pending) return this.#queue;
    this.#pending = true;
    // A failed run (a port in use on the first start) must not stop the ones after it.
    this.#queue = this.#queue
      .catch(() => {})
      .then(async () => {
        this.#pending = false;
        if (!this.#closed) await this.#reconcileOnce();
      });
    return this.#queue;
  }

  async #reconcileOnce(): Promise<void> {
    const plans = new Map(this.#desired.plans.map((p) => [`${p.namespace}/${p.deployment}/${p.hash}`, p]));
    const held = new Set((this.#desired.held ?? []).map((h) => `${h.namespace}/${h.deployment}`));
    // Pods of the previous run whose template still stands come back under their names; those of
    // Deployments that cannot be planned now wait; the rest are gone for good.
    const revived = this.#recovered.filter((r) => plans.has(`${r.namespace}/${r.deployment}/${r.hash}`));
    const waiting = this.#recovered.filter(
      (r) => !revived.includes(r) && held.has(`${r.namespace}/${r.deployment}`),
    );
    for (const r of this.#recovered)
      if (!revived.includes(r) && !waiting.includes(r)) this.#addresses.release(podKey(r.namespace, r.name));
    this.#recovered = waiting;
    const actual: ActualPod[] = [
      ...[...this.#pods.values()].map((p) => ({
        name: p.info.name,
        namespace: p.info.namespace,
        deployment: p.info.deployment,
        hash: p.info.hash,
        ready: p.status().ready,
        terminating: p.terminating,
        createdAt: p.info.createdAt,
      })),
      ...revived.map((r) => ({ ...r, ready: false, terminating: false })),
    ];
    const plan = reconcile(this.#desired, actual);
    const removed = new Set(plan.remove);
    const create: CreatePod[] = [
      ...revived
        .filter((r) => !removed.has(podKey(r.namespace, r.name)))
        .map((r) => ({ name: r.name, plan: plans.get(`${r.namespace}/${r.deployment}/${r.hash}`)! })),
      ...plan.create,
    ];
    for (const r of revived)
      if (removed.has(podKey(r.namespace, r.name))) this.#addresses.release(podKey(r.namespace, r.name));
    for (const key of plan.remove) if (this.#pods.has(key)) void this.#remove(key);
    const first = this.#first;
    this.#first = false;
    const pods = this.#build(create);
    if (first) {
      const claims = pods.flatMap((p) => podPortClaims(p.info, p.plan));
      try {
        await checkPorts(claims);
      } catch (e) {
        for (const p of pods) this.#addresses.release(podKey(p.info.namespace, p.info.name));
        this.#first = true;
        throw e;
      }
    } else {
      for (const p of [...pods]) {
        try {
          await checkPorts(podPortClaims(p.info, p.plan));
        } catch (e) {
          pods.splice(pods.indexOf(p), 1);
          this.#addresses.release(podKey(p.info.namespace, p.info.name));
          this.#addErrors([errorRecord(p.info.namespace, p.info.deployment, e as CaravelError)]);
        }
      }
    }
    for (const p of pods) {
      this.#pods.set(podKey(p.info.namespace, p.info.name), p);
      p.start();
      this.#emit({ type: 'pod', pod: { info: p.info, status: p.status() } });
    }
    const started = new Set(pods.map((p) => `${p.info.namespace}/${p.info.deployment}`));
    if (this.#errors.some((e) => RETRIED.has(e.code) && started.has(`${e.namespace}/${e.deployment}`)))
      this.#setErrors(
        this.#errors.filter((e) => !(RETRIED.has(e.code) && started.has(`${e.namespace}/${e.deployment}`))),
      );
    this.#retryLater();
    this.#writeTableSoon();
  }

  /** Pods that could not start for a passing reason (a port in use) are tried again a little later. */
  #retryLater(): void {
    if (this.#retryTimer || this.#closed || !this.#errors.some((e) => RETRIED.has(e.code))) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#schedule().catch(() => {});
    }, this.options.retryMs ?? 2000);
    this.#retryTimer.unref();
  }

  #build(create: readonly CreatePod[]): Pod[] {
    const pods: Pod[] = [];
    const failed = new Map<string, DeploymentErrorRecord>();
    for (const { name, plan } of create) {
      const key = podKey(plan.namespace, name);
      const { podIP, appAddress } = this.#addresses.allocate(key);
      const info: PodInfo = {
        name,
        namespace: plan.namespace,
        uid: randomUUID(),
        podIP,
        appAddress,
        deployment: plan.deployment,
        hash: plan.hash,
        labels: plan.labels,
        annotations: plan.annotations,
        serviceAccount: plan.serviceAccount,
        sidecar: plan.sidecar,
        gateway: plan.containers.some((c) => c.role === 'proxy'),
        containers: plan.containers.map((c) => ({ name: c.name, image: c.image, ports: c.ports })),
        template: plan.template,
        createdAt: Date.now(),
      };
      try {
        pods.push(new Pod(info, plan, this.#podOptions(), () => this.#podChanged(key)));
      } catch (e) {
        if (!(e instanceof WorkloadError)) throw e;
        this.#addresses.release(key);
        failed.set(`${plan.namespace}/${plan.deployment}`, errorRecord(plan.namespace, plan.deployment, e));
      }
    }
    if (failed.size > 0) this.#addErrors([...failed.values()]);
    return pods;
  }

  #podOptions() {
    const o = this.options;
    return {
      stateDir: o.stateDir,
      cwd: o.cwd ?? process.cwd(),
      hostEnv: o.hostEnv ?? hostEnv(process.env),
      probeIntervalMs: o.probeIntervalMs ?? 500,
      ...(o.proxyCommand ? { proxyCommand: o.proxyCommand } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.logCapBytes !== undefined ? { logCapBytes: o.logCapBytes } : {}),
      ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}),
    };
  }

  #podChanged(key: string): void {
    const pod = this.#pods.get(key);
    if (!pod) return;
    this.#emit({ type: 'pod', pod: { info: pod.info, status: pod.status() } });
    this.#writeTableSoon();
    // Readiness moves rollouts on.
    if (!this.#closed && !pod.terminating) void this.#schedule().catch(() => {});
  }

  async #remove(key: string): Promise<void> {
    const pod = this.#pods.get(key);
    if (!pod || this.#removing.has(key)) return this.#removing.get(key);
    const done = (async () => {
      await pod.stop();
      this.#pods.delete(key);
      this.#removing.delete(key);
      this.#addresses.release(key);
      this.#emit({ type: 'pod-removed', namespace: pod.info.namespace, name: pod.info.name });
      this.#writeTableSoon();
      if (!this.#closed) await this.#schedule();
    })();
    this.#removing.set(key, done);
    return done;
  }

  /** Resolves once `predicate` holds (checked after every event), or rejects after `timeoutMs`. */
  async until(predicate: (rt: LocalRuntime) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline)
        throw new CaravelError(
          'RUNTIME_TIMEOUT',
          `the pods did not reach the expected state within ${timeoutMs} ms`,
          {
            hint: 'see "caravel get pods" and "caravel logs POD" for the pods that are not ready',
          },
        );
      await sleep(20);
    }
  }

  #table(final = false): PodTable {
    return {
      runtime: { pid: process.pid, startedAt: this.#startedAt, ...pidStart(process.pid) },
      updatedAt: Date.now(),
      pods: [...this.#pods.values()].map((p) => toRecord(p, final)),
      errors: this.#errors,
    };
  }

  #writeTableSoon(): void {
    if (this.#tableTimer || this.#closed) return;
    this.#tableTimer = setTimeout(() => {
      this.#tableTimer = undefined;
      if (!this.#closed) writePodTable(this.options.stateDir, this.#table());
    }, 25);
  }

  /** Writes the pod table now (callers that must see it at once). */
  flushTable(): void {
    if (this.#tableTimer) clearTimeout(this.#tableTimer);
    this.#tableTimer = undefined;
    writePodTable(this.options.stateDir, this.#table());
  }

  /** Stops every pod (SIGTERM, grace, SIGKILL per process group); the pod names stay for the next start. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#tableTimer) clearTimeout(this.#tableTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await this.#queue.catch(() => {});
    const pods = [...this.#pods.values()];
    await Promise.all(pods.map((p) => p.stop()));
    await Promise.all(this.#removing.values());
    writePodTable(this.options.stateDir, this.#table(true));
  }

  /** The exit path's last resort: SIGKILL every container's process group at once. */
  killNow(): void {
    this.#closed = true;
    for (const p of this.#pods.values()) p.killNow();
  }

  /**
   * Ctrl-C / SIGTERM stop everything gracefully and then exit (a second signal kills at once); an
   * exit of any kind kills what is left. Returns the function that removes the handlers.
   */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): () => void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      const code = signal === 'SIGINT' ? 130 : 143;
      if (signalled) {
        this.killNow();
        exit(code);
        return;
      }
      signalled = true;
      void this.stop().finally(() => exit(code));
    };
    const onExit = () => this.killNow();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', onExit);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
    };
  }
}

function pidStart(pid: number): { pidStart?: number } {
  const start = processStartTime(pid);
  return start === undefined ? {} : { pidStart: start };
}

function toRecord(p: Pod, final: boolean): PodRecord {
  const s = p.status();
  const i = p.info;
  const byName = new Map(p.plan.containers.map((c) => [c.name, c]));
  return {
    name: i.name,
    namespace: i.namespace,
    deployment: i.deployment,
    hash: i.hash,
    uid: i.uid,
    labels: i.labels,
    serviceAccount: i.serviceAccount,
    podIP: i.podIP,
    appAddress: i.appAddress,
    sidecar: i.sidecar,
    gateway: i.gateway,
    createdAt: i.createdAt,
    phase: final ? 'Stopped' : s.phase,
    reason: final ? 'Stopped' : s.reason,
    ready: final ? false : s.ready,
    readyText: s.readyText,
    restarts: s.restarts,
    containers: s.containers.map((c) => {
      const plan = byName.get(c.name);
      return {
        name: c.name,
        image: c.image,
        ready: c.ready,
        restarts: c.restarts,
        state: c.state,
        ...(c.pid !== undefined && !final ? { pid: c.pid, ...pidStart(c.pid) } : {}),
        argv: c.argv,
        env: c.env,
        ports: plan?.ports ?? [],
        ...(plan?.catalogue ? { catalogue: plan.catalogue } : {}),
      };
    }),
  };
}

/** SIGKILLs the process groups a runtime that did not stop cleanly left behind, and waits them out. */
async function killLeftovers(table: PodTable): Promise<void> {
  const groups = table.pods.flatMap((p) =>
    p.containers.flatMap((c) => (c.pid !== undefined && sameProcess(c.pid, c.pidStart) ? [c.pid] : [])),
  );
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  for (let i = 0; i < 100 && groups.some(groupAlive); i++) await sleep(20);
}
