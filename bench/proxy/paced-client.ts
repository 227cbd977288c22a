// The benchmark's latency client, in a process of its own: an open-loop client at a fixed rate
// that prints its result as JSON. Run apart from the benchmark's process, which also holds
// Caravel's control plane, so that neither's garbage collection or event loop delays the other and
// every system is measured by the same lean client. Usage: URL RATE CONNECTIONS SECONDS [PROXY]
import { Agent, request } from 'node:http';
import type { LatencyResult } from './load.ts';

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Open-loop load at a fixed rate over `connections` keep-alive connections; each latency is
 * measured from the request's scheduled start, so a stall is not hidden by the requests that
 * were never sent (coordinated omission). Milliseconds, microsecond resolution.
 */
async function pacedLatency(
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

const [url, rate, connections, seconds, proxy] = process.argv.slice(2);
if (!url || !rate || !connections || !seconds) {
  console.error('usage: paced-client.ts URL RATE CONNECTIONS SECONDS [PROXY]');
  process.exit(2);
}
const result = await pacedLatency(url, Number(rate), Number(connections), Number(seconds), proxy);
process.stdout.write(JSON.stringify(result));
