// One container as a supervised child process. Each runs in its own process group (a new session),
// so stopping it reaches everything it started: SIGTERM to the group, the grace period, then SIGKILL
// to the group. When the main process ends, whatever it left in its group is killed too, as a
// container's processes end with it. Crashes restart per restartPolicy with exponential back-off
// (Kubernetes' numbers by default: 10 s doubling to 5 min, reset after 10 min of good running).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogWriter } from './logs.ts';

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A container that ran this long before exiting restarts at the initial delay again. */
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
});

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export type ContainerState =
  | {
      readonly state: 'waiting';
      readonly reason: 'ContainerCreating' | 'CrashLoopBackOff';
      readonly message?: string;
    }
  | { readonly state: 'running'; readonly startedAt: number; readonly pid: number }
  | {
      readonly state: 'terminated';
      readonly reason: 'Completed' | 'Error' | 'StartError';
      readonly exitCode: number;
      readonly signal?: string;
      readonly finishedAt: number;
    };

export interface ProcessSpec {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly logPath: string;
  readonly logCapBytes?: number;
  readonly restartPolicy: RestartPolicy;
  readonly backoff?: BackoffOptions;
}

/** True while any process of the group exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

export class ContainerProcess {
  readonly spec: ProcessSpec;
  #state: ContainerState = { state: 'waiting', reason: 'ContainerCreating' };
  #restarts = 0;
  #lastExit: ContainerState | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #delayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #log: LogWriter | undefined;
  readonly #onChange: () => void;

  constructor(spec: ProcessSpec, onChange: () => void = () => {}) {
    this.spec = spec;
    this.#delayMs = (spec.backoff ?? DEFAULT_BACKOFF).initialMs;
    this.#onChange = onChange;
  }

  get state(): ContainerState {
    return this.#state;
  }
  get restarts(): number {
    return this.#restarts;
  }
  /** How the previous run ended, once one has. */
  get lastTermination(): ContainerState | undefined {
    return this.#lastExit;
  }
  /** The process group of the running container (its pid). */
  get pgid(): number | undefined {
    return this.#state.state === 'running' ? this.#state.pid : undefined;
  }

  start(): void {
    if (this.#stopping || this.#child) return;
    this.#log ??= new LogWriter(this.spec.logPath, this.spec.logCapBytes);
    const log = this.#log;
    const [file, ...args] = this.spec.argv;
    const child = spawn(file!, args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const startedAt = Date.now();
    child.stdout!.on('data', (b: Buffer) => log.write(b));
    child.stderr!.on('data', (b: Buffer) => log.write(b));
    this.#exited = new Promise<void>((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        if (done) return;
        done = true;
        this.#child = undefined;
        if (spawnError)
          log.write(`caravel: cannot start ${this.spec.argv.join(' ')}: ${spawnError.message}\n`);
        const exitCode = spawnError ? 128 : (code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
        this.#lastExit = {
          state: 'terminated',
          reason: spawnError ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
          exitCode,
          ...(signal ? { signal } : {}),
          finishedAt: Date.now(),
        };
        this.#state = this.#lastExit;
        resolve();
        this.#afterExit(Date.now() - startedAt, exitCode);
      };
      // The main process ended: the rest of its group ends with it (and so lets go of the pipes).
      child.once('exit', () => signalGroup(child.pid!, 'SIGKILL'));
      // 'close' comes once stdout and stderr are drained, so the log holds the last words.
      child.once('close', (code, signal) => finish(code, signal));
      child.once('error', (e) => {
        if (child.pid === undefined) finish(null, null, e);
      });
    });
    if (child.pid !== undefined) this.#state = { state: 'running', startedAt, pid: child.pid };
    this.#onChange();
  }

  #afterExit(ranMs: number, exitCode: number): void {
    const policy = this.spec.restartPolicy;
    const restart = !this.#stopping && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    if (restart) {
      const backoff = this.spec.backoff ?? DEFAULT_BACKOFF;
      if (ranMs >= backoff.resetAfterMs) this.#delayMs = backoff.initialMs;
      const delay = this.#delayMs;
      this.#delayMs = Math.min(this.#delayMs * 2, backoff.maxMs);
      this.#state = {
        state: 'waiting',
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatDelay(delay)} restarting failed container ${this.spec.name}`,
      };
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#restarts++;
        this.start();
      }, delay);
    }
    this.#onChange();
  }

  /** SIGTERM to the group, then SIGKILL once `graceMs` has passed; resolves when all of it is gone. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const child = this.#child;
    const pgid = child?.pid;
    if (child && pgid !== undefined) {
      signalGroup(pgid, 'SIGTERM');
      const killer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(killer);
      // The group may hold processes that outlived the main one for a moment: wait them out.
      for (let i = 0; i < 100 && groupAlive(pgid); i++) {
        signalGroup(pgid, 'SIGKILL');
        await sleep(20);
      }
    }
    this.#log?.close();
    this.#log = undefined;
    this.#onChange();
  }

  /** Synchronous last resort for the exit path: SIGKILL the group now. */
  killNow(): void {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const pid = this.#child?.pid;
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  }
}

export function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
}
