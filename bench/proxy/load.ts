// Load generators: wrk for throughput; a paced open-loop client (a process of its own) for latency
// percentiles.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ThroughputResult {
  readonly requestsPerSecond: number;
  readonly errors: number;
}

/**
 * wrk sends origin-form request lines; through an HTTP proxy (`host:port`) a small script makes
 * them absolute-form with the target's Host, as an app using the proxy sends them.
 */
function wrkArgs(url: string, httpProxy: string | undefined): string[] {
  if (!httpProxy) return [url];
  const script = join(mkdtempSync(join(tmpdir(), 'caravel-bench-wrk-')), 'proxy.lua');
  writeFileSync(
    script,
    `wrk.path = ${JSON.stringify(url)}\nwrk.headers["Host"] = ${JSON.stringify(new URL(url).host)}\n`,
  );
  return ['-s', script, `http://${httpProxy}/`];
}

export async function wrkThroughput(
  url: string,
  connections: number,
  seconds: number,
  httpProxy?: string,
): Promise<ThroughputResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...wrkArgs(url, httpProxy)];
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!rps) throw new Error(`wrk printed no rate:\n${stdout}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors =
    Number(non2xx?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { requestsPerSecond: Number(rps[1]), errors };
}

export interface LatencyResult {
  readonly count: number;
  readonly errors: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/**
 * Open-loop load at a fixed rate over `connections` keep-alive connections, from a client process
 * of its own (`paced-client.ts`, which says how latencies are counted). Milliseconds.
 */
export async function pacedLatency(
  url: string,
  rate: number,
  connections: number,
  seconds: number,
  proxy?: string,
): Promise<LatencyResult> {
  const client = new URL('./paced-client.ts', import.meta.url).pathname;
  const args = [client, url, String(rate), String(connections), String(seconds), ...(proxy ? [proxy] : [])];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as LatencyResult;
}
