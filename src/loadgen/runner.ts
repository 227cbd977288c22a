// The load run: `connections` clients in parallel, each on its own keep-alive connection, either
// for an exact number of calls (split evenly, the first ones taking the remainder) or for a
// duration; with a target qps each client paces itself to its share, catching up when late.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadOptions, LogLevel } from './options.ts';
import { createTransport } from './transport.ts';
import type { Env } from './transport.ts';

export interface RunHooks {
  readonly env: Env;
  readonly userAgent: string;
  /** Stops issuing requests (Ctrl-C); the run ends with what was done. */
  readonly signal?: AbortSignal;
  readonly log?: (level: LogLevel, message: string) => void;
}

export interface LoadResult {
  readonly options: LoadOptions;
  readonly startTime: Date;
  readonly elapsedMs: number;
  /** Every call's latency in milliseconds, ascending. */
  readonly durations: Float64Array;
  /** Latencies of calls that did not answer 2xx, ascending. */
  readonly errorDurations: Float64Array;
  /** Calls per status code; -1 counts calls that got no response. */
  readonly codes: ReadonlyMap<number, number>;
  readonly headerSizes: readonly number[];
  readonly totalSizes: readonly number[];
  readonly socketsPerConnection: readonly number[];
}

/** Calls each connection makes for an exact run: `calls / connections`, remainder to the first. */
export function callsPerConnection(calls: number, connections: number): number[] {
  const base = Math.floor(calls / connections);
  const extra = calls % connections;
  return Array.from({ length: connections }, (_, i) => base + (i < extra ? 1 : 0));
}

export async function runLoad(options: LoadOptions, hooks: RunHooks): Promise<LoadResult> {
  const exact = options.calls > 0;
  const quotas = exact ? callsPerConnection(options.calls, options.connections) : [];
  const perConnectionQps = options.qps > 0 ? options.qps / options.connections : 0;
  const durations: number[] = [];
  const errorDurations: number[] = [];
  const codes = new Map<number, number>();
  const headerSizes: number[] = [];
  const totalSizes: number[] = [];
  const startTime = new Date();
  const t0 = performance.now();
  const endAt = !exact && options.durationMs > 0 ? t0 + options.durationMs : Infinity;
  const stopped = () => hooks.signal?.aborted === true;

  async function client(index: number): Promise<number> {
    const transport = createTransport(options.request, { env: hooks.env, userAgent: hooks.userAgent });
    try {
      for (let i = 0; exact ? i < quotas[index]! : true; i++) {
        if (stopped()) break;
        if (perConnectionQps > 0) {
          const due = t0 + (i * 1000) / perConnectionQps;
          if (due >= endAt) break;
          const wait = due - performance.now();
          if (wait > 0)
            await sleep(wait, undefined, hooks.signal ? { signal: hooks.signal } : {}).catch(() => {});
          if (stopped()) break;
        } else if (performance.now() >= endAt) break;
        const started = performance.now();
        const result = await transport.send();
        const took = performance.now() - started;
        durations.push(took);
        codes.set(result.status, (codes.get(result.status) ?? 0) + 1);
        headerSizes.push(result.headerBytes);
        totalSizes.push(result.headerBytes + result.bodyBytes);
        if (result.status < 200 || result.status > 299) {
          errorDurations.push(took);
          if (result.status < 0) hooks.log?.('error', `[${index}] request failed: ${result.error}`);
          else hooks.log?.('warning', `[${index}] Non ok http code ${result.status}`);
        }
      }
      return transport.socketsOpened;
    } finally {
      transport.close();
    }
  }

  const socketsPerConnection = await Promise.all(
    Array.from({ length: options.connections }, (_, i) => client(i)),
  );
  const ascending = (values: number[]) => Float64Array.from(values).sort();
  return {
    options,
    startTime,
    elapsedMs: performance.now() - t0,
    durations: ascending(durations),
    errorDurations: ascending(errorDurations),
    codes,
    headerSizes,
    totalSizes,
    socketsPerConnection,
  };
}
