// One pod: its containers as supervised processes (the app containers, plus the sidecar proxy when
// the pod has one), their readiness, and the pod's status as kubectl shows it (READY 2/2, STATUS,
// RESTARTS). The proxy's command line comes from the caller, which owns the proxy's bootstrap.
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PodTemplateSpec } from '../api/index.ts';
import { containerEnv, SIDECAR_PORTS } from './env.ts';
import { WorkloadError } from './errors.ts';
import type { PodIdentity } from './env.ts';
import { logPath } from './logs.ts';
import type { ContainerPlan, ContainerPortPlan, PodTemplatePlan } from './pod-plan.ts';
import { ContainerProcess } from './process.ts';
import type { BackoffOptions, ContainerState } from './process.ts';
import { httpProbe, tcpProbe } from './probes.ts';

/** The sidecar container's name, as Istio injects it. */
export const SIDECAR_NAME = 'istio-proxy';

/** Everything known about a pod that other components need (registry, proxy bootstrap, CLI). */
export interface PodInfo extends PodIdentity {
  readonly deployment: string;
  readonly hash: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** An injected sidecar proxy runs beside the app. */
  readonly sidecar: boolean;
  /** The pod is a proxy itself (a gateway). */
  readonly gateway: boolean;
  readonly containers: readonly {
    readonly name: string;
    readonly image: string;
    readonly ports: readonly ContainerPortPlan[];
  }[];
  /** The pod template with pod-template-hash, as the registry reads a workload from it. */
  readonly template: PodTemplateSpec;
  readonly createdAt: number;
}

export type ProxyMode = 'sidecar' | 'router';

export interface ProxyCommand {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** Builds the command line of a pod's proxy (writing its bootstrap first if it needs one). */
export type ProxyCommandFactory = (pod: PodInfo, mode: ProxyMode) => ProxyCommand;

export interface PodOptions {
  readonly stateDir: string;
  /** Working directory of containers that name none. */
  readonly cwd: string;
  readonly hostEnv: Readonly<Record<string, string>>;
  readonly proxyCommand?: ProxyCommandFactory;
  readonly backoff?: BackoffOptions;
  readonly probeIntervalMs: number;
  readonly logCapBytes?: number;
  /** Overrides every pod's terminationGracePeriodSeconds (tests, Ctrl-C twice). */
  readonly graceMs?: number;
}

export interface ContainerStatus {
  readonly name: string;
  readonly image: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly state: ContainerState;
  readonly lastTermination?: ContainerState;
  readonly pid?: number;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface PodStatus {
  readonly phase: PodPhase;
  /** kubectl's STATUS column: Running, ContainerCreating, CrashLoopBackOff, Error, Completed, Terminating. */
  readonly reason: string;
  readonly ready: boolean;
  /** kubectl's READY column, "2/2". */
  readonly readyText: string;
  readonly restarts: number;
  readonly containers: readonly ContainerStatus[];
}

interface Member {
  readonly plan: Pick<ContainerPlan, 'name' | 'image' | 'ports'>;
  readonly kind: 'app' | 'proxy';
  readonly process: ContainerProcess;
  ready: boolean;
}

export class Pod {
  readonly info: PodInfo;
  readonly plan: PodTemplatePlan;
  readonly #options: PodOptions;
  readonly #members: Member[] = [];
  readonly #onChange: () => void;
  readonly #probing = new AbortController();
  #terminating = false;

  constructor(info: PodInfo, plan: PodTemplatePlan, options: PodOptions, onChange: () => void) {
    this.info = info;
    this.plan = plan;
    this.#options = options;
    this.#onChange = onChange;
    const proxy = (mode: ProxyMode) => {
      if (!options.proxyCommand)
        throw new WorkloadError(
          'RUNTIME_NO_PROXY',
          `pod ${info.namespace}/${info.name} needs a proxy, and none is configured`,
          {
            hint: 'run it with "caravel up", which starts the proxies',
          },
        );
      return options.proxyCommand(info, mode);
    };
    if (plan.sidecar) {
      const cmd = proxy('sidecar');
      this.#add({ name: SIDECAR_NAME, image: 'caravel/proxy', ports: [] }, 'proxy', cmd.argv, {
        ...this.#proxyEnv(),
        ...cmd.env,
      });
    }
    for (const c of plan.containers) {
      if (c.role === 'proxy') {
        const cmd = proxy('router');
        this.#add(c, 'proxy', cmd.argv, { ...containerEnv(plan, c, info, options.hostEnv), ...cmd.env });
      } else {
        this.#add(c, 'app', c.argv, containerEnv(plan, c, info, options.hostEnv), c.workingDir);
      }
    }
  }

  #proxyEnv(): Record<string, string> {
    const i = this.info;
    return {
      ...this.#options.hostEnv,
      POD_NAME: i.name,
      POD_NAMESPACE: i.namespace,
      INSTANCE_IP: i.podIP,
      POD_IP: i.podIP,
      SERVICE_ACCOUNT: i.serviceAccount,
    };
  }

  #add(
    plan: Member['plan'],
    kind: Member['kind'],
    argv: readonly string[],
    env: Record<string, string>,
    workingDir?: string,
  ): void {
    const o = this.#options;
    const cwd =
      workingDir && isAbsolute(workingDir) ? workingDir : workingDir ? join(o.cwd, workingDir) : o.cwd;
    const process = new ContainerProcess(
      {
        name: plan.name,
        argv,
        env,
        cwd,
        logPath: logPath(o.stateDir, this.info.namespace, this.info.name, plan.name),
        restartPolicy: this.plan.restartPolicy,
        ...(o.logCapBytes !== undefined ? { logCapBytes: o.logCapBytes } : {}),
        ...(o.backoff ? { backoff: o.backoff } : {}),
      },
      () => this.#changed(),
    );
    this.#members.push({ plan, kind, process, ready: false });
  }

  #changed(): void {
    for (const m of this.#members) if (m.process.state.state !== 'running') m.ready = false;
    this.#onChange();
  }

  start(): void {
    for (const m of this.#members) m.process.start();
    void this.#probeLoop();
  }

  async #probeLoop(): Promise<void> {
    const signal = this.#probing.signal;
    while (!signal.aborted) {
      let changed = false;
      await Promise.all(
        this.#members.map(async (m) => {
          const ready = m.process.state.state === 'running' && (await this.#probe(m));
          if (ready !== m.ready && !signal.aborted) {
            m.ready = ready;
            changed = true;
          }
        }),
      );
      if (changed) this.#onChange();
      try {
        await sleep(this.#options.probeIntervalMs, undefined, { signal });
      } catch {
        return;
      }
    }
  }

  async #probe(m: Member): Promise<boolean> {
    if (m.kind === 'proxy') return httpProbe(this.info.podIP, SIDECAR_PORTS.readiness, '/healthz/ready');
    const port = m.plan.ports[0]?.containerPort;
    return port === undefined ? true : tcpProbe(this.info.appAddress, port);
  }

  get terminating(): boolean {
    return this.#terminating;
  }

  status(): PodStatus {
    const containers = this.#members.map((m): ContainerStatus => {
      const s = m.process.state;
      return {
        name: m.plan.name,
        image: m.plan.image,
        ready: m.ready,
        restarts: m.process.restarts,
        state: s,
        ...(m.process.lastTermination ? { lastTermination: m.process.lastTermination } : {}),
        ...(s.state === 'running' ? { pid: s.pid } : {}),
        argv: m.process.spec.argv,
        env: m.process.spec.env,
      };
    });
    const readyCount = containers.filter((c) => c.ready).length;
    const states = containers.map((c) => c.state);
    const restarts = containers.reduce((n, c) => n + c.restarts, 0);
    const waiting = states.find((s) => s.state === 'waiting');
    const terminated = states.filter((s) => s.state === 'terminated');
    let phase: PodPhase = 'Running';
    let reason = 'Running';
    if (terminated.length === states.length && states.length > 0) {
      const failed = terminated.some((s) => s.state === 'terminated' && s.exitCode !== 0);
      phase = failed ? 'Failed' : 'Succeeded';
      reason = failed ? 'Error' : 'Completed';
    } else if (waiting?.state === 'waiting') {
      phase = waiting.reason === 'ContainerCreating' ? 'Pending' : 'Running';
      reason = waiting.reason;
    } else if (terminated.some((s) => s.state === 'terminated' && s.exitCode !== 0)) {
      reason = 'Error';
    }
    if (this.#terminating) reason = 'Terminating';
    return {
      phase,
      reason,
      ready: readyCount === containers.length && containers.length > 0 && !this.#terminating,
      readyText: `${readyCount}/${containers.length}`,
      restarts,
      containers,
    };
  }

  /** Process groups of the running containers. */
  pgids(): number[] {
    return this.#members.flatMap((m) => (m.process.pgid !== undefined ? [m.process.pgid] : []));
  }

  async stop(): Promise<void> {
    this.#terminating = true;
    this.#probing.abort();
    for (const m of this.#members) m.ready = false;
    this.#onChange();
    const grace = this.#options.graceMs ?? this.plan.terminationGraceMs;
    await Promise.all(this.#members.map((m) => m.process.stop(grace)));
    this.#onChange();
  }

  killNow(): void {
    this.#probing.abort();
    for (const m of this.#members) m.process.killNow();
  }
}
