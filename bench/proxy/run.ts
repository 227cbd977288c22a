// npm run bench: throughput, added latency, CPU and memory of Caravel's sidecar beside a direct
// connection, nginx, HAProxy, @fastify/http-proxy, a bare node:http + undici proxy, a raw node:net
// relay and Caravel's HTTP/1.1 codec alone, all measured in the same run on this machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pacedLatency, wrkThroughput } from './load.ts';
import type { LatencyResult } from './load.ts';
import { cpuSeconds, machineBusy, rssMiB } from './processes.ts';
import { referenceTargets, startUpstream } from './targets.ts';
import type { Target } from './targets.ts';
import { caravelTargets } from './caravel-target.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    only: { type: 'string' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '1000' },
    // Measure every system this many times, interleaved, and report medians (a shared machine).
    repeat: { type: 'string', default: '1' },
    // Before each system, wait (up to 2 min) until the machine's CPU is at most this % busy.
    'quiet-below': { type: 'string', default: '100' },
    // Folder for V8 CPU profiles of Caravel's proxies (node --cpu-prof), one subfolder per proxy.
    'cpu-prof': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rate = Number(values.rate);
const repeat = Number(values.repeat);
const quietBelow = Number(values['quiet-below']) / 100;

execFileSync(new URL('../../scripts/install-bench-tools.sh', import.meta.url).pathname, { stdio: 'inherit' });

interface Row {
  name: string;
  rps: number;
  throughputErrors: number;
  latency: LatencyResult;
  cpuPer1000: number;
  rssIdle: number;
  rssLoaded: number;
  /** Machine CPU in use (0–1) just before the measurement started. */
  background: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureSingle(target: Target, upstream: number) {
  const one = await target.single(upstream);
  try {
    await sleep(300);
    const rssIdle = one.proxies.reduce((a, p) => a + rssMiB(p.child.pid!), 0);
    await wrkThroughput(one.url, connections, 2, one.httpProxy); // warm-up (JIT, pools)
    const throughput = await wrkThroughput(one.url, connections, seconds, one.httpProxy);
    const rssLoaded = one.proxies.reduce((a, p) => a + rssMiB(p.child.pid!), 0);
    return { throughput, rssIdle, rssLoaded };
  } finally {
    await Promise.all(one.proxies.map((p) => p.stop()));
  }
}

async function measureChain(target: Target, upstream: number) {
  const two = await target.chain(upstream);
  try {
    // Warm-up: a sidecar runs for hours, so its steady state is JIT-compiled code. At 1000 req/s V8
    // is still compiling and deoptimising after 2 s (about 30 % more CPU per request), so the
    // chain first serves a few seconds at full rate, as the throughput run does, then settles at
    // the measured rate. nginx and HAProxy get the same warm-up (it changes nothing for them).
    await wrkThroughput(two.url, connections, 3, two.httpProxy);
    await pacedLatency(two.url, rate, 4, 2, two.httpProxy);
    const before = two.proxies.map((p) => cpuSeconds(p.child.pid!));
    const latency = await pacedLatency(two.url, rate, 4, seconds, two.httpProxy);
    const used = two.proxies.map((p, i) => cpuSeconds(p.child.pid!) - before[i]!);
    const perProxy = used.length ? used.reduce((a, b) => a + b, 0) / used.length : 0;
    return { latency, cpuPer1000: perProxy / seconds / (rate / 1000) };
  } finally {
    await Promise.all(two.proxies.map((p) => p.stop()));
  }
}

/** Waits until the machine is quiet enough; returns how busy it was when measuring began. */
async function quiet(): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const busy = await machineBusy(1000);
    if (busy <= quietBelow || Date.now() > deadline) return busy;
  }
}

async function measure(target: Target, upstream: number): Promise<Row> {
  const background = await quiet();
  const single = await measureSingle(target, upstream);
  const chain = await measureChain(target, upstream);
  return {
    name: target.name,
    rps: single.throughput.requestsPerSecond,
    throughputErrors: single.throughput.errors,
    latency: chain.latency,
    cpuPer1000: chain.cpuPer1000,
    rssIdle: single.rssIdle,
    rssLoaded: single.rssLoaded,
    background,
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One row of medians over the runs of one system. */
function medianRow(runs: readonly Row[]): Row {
  const m = (pick: (r: Row) => number) => median(runs.map(pick));
  return {
    name: runs[0]!.name,
    rps: m((r) => r.rps),
    throughputErrors: m((r) => r.throughputErrors),
    latency: {
      count: m((r) => r.latency.count),
      errors: m((r) => r.latency.errors),
      p50: m((r) => r.latency.p50),
      p90: m((r) => r.latency.p90),
      p99: m((r) => r.latency.p99),
    },
    cpuPer1000: m((r) => r.cpuPer1000),
    rssIdle: m((r) => r.rssIdle),
    rssLoaded: m((r) => r.rssLoaded),
    background: m((r) => r.background),
  };
}

const upstream = await startUpstream();
const caravel = caravelTargets(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {});
const runs = new Map<string, Row[]>();
try {
  for (let run = 1; run <= repeat; run++)
    for (const target of [...referenceTargets, ...caravel.targets]) {
      if (values.only && !values.only.split(',').includes(target.name)) continue;
      const row = await measure(target, upstream.port);
      process.stderr.write(
        `run ${run}/${repeat} ${target.name}: ${row.rps.toFixed(0)} req/s, p90 ${row.latency.p90.toFixed(3)} ms, ` +
          `p99 ${row.latency.p99.toFixed(3)} ms (machine ${(row.background * 100).toFixed(0)}% busy before)\n`,
      );
      runs.set(target.name, [...(runs.get(target.name) ?? []), row]);
    }
} finally {
  await caravel.close();
  await upstream.proc.stop();
}

const rows = [...runs.values()].map(medianRow);
const base = rows.find((r) => r.name === 'direct');
const nginx = rows.find((r) => r.name === 'nginx');
const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');
console.log(
  `\nThroughput: wrk, ${connections} connections, 1 KiB responses, ${seconds} s, one proxy (one worker).` +
    `\nLatency: open-loop client at ${rate} req/s over 4 connections through two proxies in a row; added = over direct.` +
    `\nMedians of ${repeat} run(s) per system; each run waited for the machine to be at most ${values['quiet-below']}% busy.\n`,
);
console.log(
  '| system | req/s | × nginx | p50 ms | p90 ms | p99 ms | added p90 | added p99 | vCPU per 1000 req/s per proxy | RSS idle MiB | RSS loaded MiB | errors | machine busy before |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${f(r.rps, 0)} | ${nginx ? f(r.rps / nginx.rps) : '–'} | ${f(r.latency.p50, 3)} | ${f(r.latency.p90, 3)} | ${f(r.latency.p99, 3)} | ` +
      `${base ? f(r.latency.p90 - base.latency.p90, 3) : '–'} | ${base ? f(r.latency.p99 - base.latency.p99, 3) : '–'} | ` +
      `${r.name === 'direct' ? '–' : f(r.cpuPer1000, 3)} | ${r.name === 'direct' ? '–' : f(r.rssIdle, 1)} | ${r.name === 'direct' ? '–' : f(r.rssLoaded, 1)} | ${r.throughputErrors + r.latency.errors} | ${f(r.background * 100, 0)}% |`,
  );
}
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../results/proxy-latest.json', import.meta.url),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      seconds,
      connections,
      rate,
      repeat,
      rows,
      runs: Object.fromEntries(runs),
    },
    null,
    2,
  ),
);
