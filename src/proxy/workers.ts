// Worker mode (`caravel proxy --concurrency N`, like Envoy's worker threads): the primary process
// forks N workers that share every listening socket; each runs a full proxy with its own xDS
// stream. Worker 0 serves the admin, readiness and Prometheus endpoints; its /stats sums all
// workers' stats over the cluster IPC channel.
import type { Worker } from 'node:cluster';
import { declareSetting, Settings } from '../settings/index.ts';
import type { StatSnapshot } from './stats/store.ts';

export const CARAVEL_PROXY_WORKER = declareSetting<number>({
  name: 'CARAVEL_PROXY_WORKER',
  description: 'Set by `caravel proxy --concurrency N` in each worker process: its index (0 serves admin).',
  defaultValue: -1,
  parse: (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`CARAVEL_PROXY_WORKER must be a worker index, got "${raw}"`);
    return n;
  },
});

interface Message {
  readonly caravel: 'stats-request' | 'stats-collect' | 'stats-snapshot' | 'stats-result' | 'quit';
  readonly id?: number;
  readonly stats?: readonly StatSnapshot[];
  readonly snapshots?: readonly (readonly StatSnapshot[])[];
}

function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && 'caravel' in m;
}

/**
 * This process's worker index, or undefined when it is not a proxy worker: only a process forked by
 * runPrimary has both the index and the IPC channel. (node:cluster is not asked: a proxy without
 * workers never loads it, nor the child_process machinery behind it.)
 */
export function workerIndex(env: Readonly<Record<string, string | undefined>>): number | undefined {
  if (typeof process.send !== 'function') return undefined;
  const i = new Settings(env).get(CARAVEL_PROXY_WORKER);
  return i >= 0 ? i : undefined;
}

/** Runs the primary: forks `count` workers, restarts crashed ones, stops them all on SIGTERM/SIGINT. */
export async function runPrimary(count: number, log: (line: string) => void): Promise<number> {
  const { default: cluster } = await import('node:cluster');
  const workers = new Map<number, Worker>();
  let stopping = false;
  let nextRequest = 0;
  const pending = new Map<
    number,
    { from: Worker; replyTo: number; got: StatSnapshot[][]; expected: number; timer: NodeJS.Timeout }
  >();

  const finishGather = (id: number) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.from.send({ caravel: 'stats-result', id: p.replyTo, snapshots: p.got } satisfies Message);
  };

  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    log(`stopping ${workers.size} workers`);
    for (const w of workers.values()) w.process.kill('SIGTERM');
  };

  const fork = (index: number) => {
    const w = cluster.fork({ CARAVEL_PROXY_WORKER: String(index) });
    workers.set(index, w);
    w.on('message', (m: unknown) => {
      if (!isMessage(m)) return;
      if (m.caravel === 'quit') stopAll();
      else if (m.caravel === 'stats-request' && m.id !== undefined) {
        const id = nextRequest++;
        const live = [...workers.values()].filter((x) => x.isConnected());
        pending.set(id, {
          from: w,
          replyTo: m.id,
          got: [],
          expected: live.length,
          timer: setTimeout(() => finishGather(id), 1000),
        });
        for (const x of live) x.send({ caravel: 'stats-collect', id } satisfies Message);
      } else if (m.caravel === 'stats-snapshot' && m.id !== undefined) {
        const p = pending.get(m.id);
        if (!p) return;
        p.got.push([...(m.stats ?? [])]);
        if (p.got.length >= p.expected) finishGather(m.id);
      }
    });
    w.on('exit', (code) => {
      if (workers.get(index) === w) workers.delete(index);
      if (stopping) return;
      log(`worker ${index} exited (${code}); starting a new one`);
      fork(index);
    });
  };

  for (let i = 0; i < count; i++) fork(i);
  process.once('SIGTERM', stopAll);
  process.once('SIGINT', stopAll);
  await new Promise<void>((resolve) => {
    const check = () => {
      if (stopping && workers.size === 0) resolve();
    };
    cluster.on('exit', check);
  });
  process.removeListener('SIGTERM', stopAll);
  process.removeListener('SIGINT', stopAll);
  return 0;
}

/** Worker side of the stats exchange: answers collections, and gathers all workers' stats. */
export class WorkerBridge {
  #next = 0;
  readonly #waiting = new Map<number, (s: readonly (readonly StatSnapshot[])[]) => void>();

  constructor(snapshot: () => StatSnapshot[]) {
    process.on('message', (m: unknown) => {
      if (!isMessage(m)) return;
      if (m.caravel === 'stats-collect')
        process.send?.({ caravel: 'stats-snapshot', id: m.id, stats: snapshot() } satisfies Message);
      else if (m.caravel === 'stats-result' && m.id !== undefined) {
        this.#waiting.get(m.id)?.(m.snapshots ?? []);
        this.#waiting.delete(m.id);
      }
    });
  }

  /** Every worker's stats (this one's included). */
  gather(): Promise<readonly (readonly StatSnapshot[])[]> {
    return new Promise((resolve) => {
      const id = this.#next++;
      this.#waiting.set(id, resolve);
      process.send?.({ caravel: 'stats-request', id } satisfies Message);
    });
  }

  quitAll(): void {
    process.send?.({ caravel: 'quit' } satisfies Message);
  }

  /** Leaves the cluster once this worker has stopped, so the process can exit. */
  detach(): void {
    if (process.connected) process.disconnect();
  }
}
