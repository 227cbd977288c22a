// Load generators: wrk for throughput; a paced open-loop client for latency percentiles.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
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

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Open-loop load at a fixed rate over `connections` keep-alive connections; each latency is
 * measured from the request's scheduled start, so a stall is not hidden by the requests that
 * were never sent (coordinated omission). Milliseconds, microsecond resolution.
 */
export async function pacedLatency(
  url: string,
  rate: number,
  connections: number,
  seconds: number,
  proxy?: string,
): Promise<LatencyResult> {
  const target = new URL(url);
  const [proxyHost, proxyPort] = proxy ? proxy.split(':') : [];
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const begin = performance.now();
  const pending: Promise<void>[] = [];
  const one = (scheduled: number) =>
    new Promise<void>((resolve) => {
      // Sent late (a stall in the client or the system): count from the scheduled time, so the
      // wait is not hidden. Sent early (timer granularity is 1 ms): count from the actual send.
      const from = Math.min(scheduled, performance.now());
      const req = request(
        {
          agent,
          host: proxyHost ?? target.hostname,
          port: Number(proxyPort ?? target.port),
          path: proxy ? url : target.pathname + target.search,
          headers: { host: target.host },
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - from);
            else errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  for (let i = 0; i < total; i++) {
    const scheduled = begin + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(one(scheduled));
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    errors,
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
  };
}
