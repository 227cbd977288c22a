// npm run bench: throughput, added latency, CPU and memory of Caravel's sidecar beside a direct
// connection, nginx, HAProxy and @fastify/http-proxy, all measured in the same run on this machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pacedLatency, wrkThroughput } from './load.ts';
import type { LatencyResult } from './load.ts';
import { cpuSeconds, rssMiB } from './processes.ts';
import { referenceTargets, startUpstream } from './targets.ts';
import type { Target } from './targets.ts';
import { extraTargets } from './caravel-target.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    only: { type: 'string' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '1000' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rate = Number(values.rate);

execFileSync(new URL('../../scripts/install-bench-tools.sh', import.meta.url).pathname, { stdio: 'inherit' });

interface Row {
  name: string;
  rps: number;
  throughputErrors: number;
  latency: LatencyResult;
  cpuPer1000: number;
  rssIdle: number;
  rssLoaded: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureSingle(target: Target, upstream: number) {
  const one = await target.single(upstream);
  try {
    await sleep(300);
    const rssIdle = one.proxies.reduce((a, p) => a + rssMiB(p.child.pid!), 0);
    await wrkThroughput(one.url, connections, 2); // warm-up (JIT, pools)
    const throughput = await wrkThroughput(one.url, connections, seconds);
    const rssLoaded = one.proxies.reduce((a, p) => a + rssMiB(p.child.pid!), 0);
    return { throughput, rssIdle, rssLoaded };
  } finally {
    await Promise.all(one.proxies.map((p) => p.stop()));
  }
}

async function measureChain(target: Target, upstream: number) {
  const two = await target.chain(upstream);
  try {
    await pacedLatency(two.url, rate, 4, 2, two.httpProxy); // warm-up
    const before = two.proxies.map((p) => cpuSeconds(p.child.pid!));
    const latency = await pacedLatency(two.url, rate, 4, seconds, two.httpProxy);
    const used = two.proxies.map((p, i) => cpuSeconds(p.child.pid!) - before[i]!);
    const perProxy = used.length ? used.reduce((a, b) => a + b, 0) / used.length : 0;
    return { latency, cpuPer1000: perProxy / seconds / (rate / 1000) };
  } finally {
    await Promise.all(two.proxies.map((p) => p.stop()));
  }
}

async function measure(target: Target, upstream: number): Promise<Row> {
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
  };
}

const upstream = await startUpstream();
const rows: Row[] = [];
try {
  for (const target of [...referenceTargets, ...(await extraTargets())]) {
    if (values.only && !values.only.split(',').includes(target.name)) continue;
    process.stderr.write(`measuring ${target.name}…\n`);
    rows.push(await measure(target, upstream.port));
  }
} finally {
  await upstream.proc.stop();
}

const base = rows.find((r) => r.name === 'direct');
const nginx = rows.find((r) => r.name === 'nginx');
const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');
console.log(
  `\nThroughput: wrk, ${connections} connections, 1 KiB responses, ${seconds} s, one proxy (one worker).` +
    `\nLatency: open-loop client at ${rate} req/s over 4 connections through two proxies in a row; added = over direct.\n`,
);
console.log(
  '| system | req/s | × nginx | p50 ms | p90 ms | p99 ms | added p90 | added p99 | vCPU per 1000 req/s per proxy | RSS idle MiB | RSS loaded MiB | errors |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${f(r.rps, 0)} | ${nginx ? f(r.rps / nginx.rps) : '–'} | ${f(r.latency.p50, 3)} | ${f(r.latency.p90, 3)} | ${f(r.latency.p99, 3)} | ` +
      `${base ? f(r.latency.p90 - base.latency.p90, 3) : '–'} | ${base ? f(r.latency.p99 - base.latency.p99, 3) : '–'} | ` +
      `${r.name === 'direct' ? '–' : f(r.cpuPer1000, 3)} | ${r.name === 'direct' ? '–' : f(r.rssIdle, 1)} | ${r.name === 'direct' ? '–' : f(r.rssLoaded, 1)} | ${r.throughputErrors + r.latency.errors} |`,
  );
}
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../results/proxy-latest.json', import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), seconds, connections, rate, rows }, null, 2),
);
