// Control-plane benchmark: a synthetic mesh (services × 2 endpoints, VirtualServices and
// DestinationRules), N simulated sidecars in a child process, and the time from a change to every
// proxy having ACKed it, with the control plane's CPU and memory. Each protocol (state of the
// world, incremental) runs in its own process so that their memory figures stay apart.
//   node bench/control-plane.ts [--services 1000] [--rules 100] [--proxies 100] [--protocol both]
//     [--changes rules,endpoint,service] [--client h2|grpc-js] [--cpu-prof DIR] [--out FILE]
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ServiceRegistry } from '../src/registry/index.ts';
import { MemoryStore } from '../src/config/index.ts';
import { startControlPlane } from '../src/xds/index.ts';
import type { ControlPlane } from '../src/xds/index.ts';
import { addPods, meshManifests, podAddress, serviceName } from './control-plane-config.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    rules: { type: 'string', default: '100' },
    proxies: { type: 'string', default: '100' },
    debounce: { type: 'string', default: '100' },
    protocol: { type: 'string', default: 'both' },
    changes: { type: 'string', default: 'rules,endpoint,service' },
    client: { type: 'string', default: 'h2' },
    'cpu-prof': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`node bench/control-plane.ts [options]
  --services N     services, two endpoints each (1000)
  --rules N        VirtualServices and DestinationRules (100)
  --proxies N      simulated sidecars (100)
  --protocol P     sotw, delta or both (both: each in a fresh process)
  --debounce MS    the control plane's debounce (100)
  --changes LIST   which changes to measure after the proxies connect, in this order:
                   rules,endpoint,service (all); e.g. --changes service for the full push only
  --client C       the simulated sidecars' gRPC client: h2 (lean, over node:http2) or grpc-js
  --cpu-prof DIR   write a CPU profile of the control plane and of the simulated proxies for each
                   measured change to DIR (<protocol>-<change>-{control-plane,clients}.cpuprofile)
  --out FILE       the results as JSON`);
  process.exit(0);
}
const CHANGES = ['rules', 'endpoint', 'service'];
const changes = values.changes.split(',').filter(Boolean);
for (const c of changes)
  if (!CHANGES.includes(c)) throw new Error(`--changes takes ${CHANGES.join(', ')}, not "${c}"`);
if (values.client !== 'h2' && values.client !== 'grpc-js')
  throw new Error(`--client must be h2 or grpc-js, not "${values.client}"`);
const profileDir = values['cpu-prof'];
if (profileDir) mkdirSync(profileDir, { recursive: true });
const PROTOCOLS = ['sotw', 'delta'];
if (values.protocol !== 'both' && !PROTOCOLS.includes(values.protocol))
  throw new Error(`--protocol must be sotw, delta or both, not "${values.protocol}"`);
const services = Number(values.services);
const rules = Number(values.rules);
const proxies = Number(values.proxies);

/** When the latest ACK of any proxy came (performance clock). */
function lastAck(cp: ControlPlane): number {
  let last = 0;
  for (const c of cp.server.connections())
    for (const s of c.types.values()) last = Math.max(last, s.ackedAt ?? 0);
  return last;
}

/** Every proxy has all four types and has ACKed the last response of each (call after settle()). */
function allAcked(cp: ControlPlane): boolean {
  const conns = cp.server.connections();
  if (conns.length < proxies) return false;
  return conns.every((c) => {
    if (c.types.size < 4) return false;
    for (const s of c.types.values()) if (!s.sentNonce || s.ackedNonce !== s.sentNonce) return false;
    return true;
  });
}

type Row = Record<string, number | string>;

interface Summary {
  readonly protocol: string;
  readonly setupMs: number;
  readonly peakRssMB: number;
  readonly rows: Row[];
}

/** Asks the simulated proxies (over the IPC channel): their CPU time so far in ms, or to start or
 * stop (writing to `file`) their CPU profile. */
async function ask(child: ChildProcess, command: ClientCommand): Promise<number> {
  const answer = once(child, 'message');
  child.send(command);
  const [ms] = (await answer) as [number];
  return ms;
}

export type ClientCommand = { op: 'cpu' } | { op: 'profile' } | { op: 'save'; file: string };

/** Profiles this process (the control plane) and the simulated proxies while `body` runs. */
async function profiled<T>(child: ChildProcess, name: string, body: () => Promise<T>): Promise<T> {
  if (!profileDir) return body();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await ask(child, { op: 'profile' });
  try {
    return await body();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(join(profileDir, `${name}-control-plane.cpuprofile`), JSON.stringify(profile));
    await ask(child, { op: 'save', file: join(profileDir, `${name}-clients.cpuprofile`) });
  }
}

async function measure(
  cp: ControlPlane,
  child: ChildProcess,
  what: string,
  change: () => unknown,
): Promise<Row> {
  const clients = await ask(child, { op: 'cpu' });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await change();
  await new Promise((r) => setTimeout(r, 1));
  for (;;) {
    await cp.server.settle();
    if (allAcked(cp)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const used = process.cpuUsage(cpu);
  return {
    change: what,
    // The moment of the last ACK, not of the check that saw it.
    'ms to all ACKed': Math.round(Math.max(lastAck(cp), started) - started),
    'cpu ms': Math.round((used.user + used.system) / 1000),
    'clients cpu ms': Math.round((await ask(child, { op: 'cpu' })) - clients),
    'rss MB': Math.round(process.memoryUsage().rss / 1048576),
  };
}

/** One protocol, in this process. */
async function run(protocol: string): Promise<Summary> {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const t0 = performance.now();
  const config = new MemoryStore();
  await config.apply(meshManifests(services, rules));
  const registry = new ServiceRegistry();
  const cp = await startControlPlane({
    xdsPort: 0,
    monitoringPort: 0,
    config,
    registry,
    debounceMs: Number(values.debounce),
  });
  addPods(registry, services);
  await cp.server.settle();
  const setupMs = Math.round(performance.now() - t0);
  // The changes are parsed beforehand: the clock runs from the apply.
  const changedRules = meshManifests(services, rules, 1).filter((m) => m.resource.kind !== 'Service');
  const addedService = meshManifests(services + 1, 0).filter(
    (m) => m.resource.metadata.name === serviceName(services).name,
  );
  const child = fork(
    new URL('./control-plane-clients.ts', import.meta.url).pathname,
    [
      '--port',
      String(cp.xdsPort),
      '--proxies',
      String(proxies),
      '--client',
      values.client,
      ...(protocol === 'delta' ? ['--delta'] : []),
    ],
    { stdio: 'inherit' },
  );
  const measured: [string, string, () => unknown][] = [
    ['connect', `${proxies} proxies connect (full config)`, () => undefined],
    ['rules', `${rules} VirtualServices + DestinationRules changed`, () => config.apply(changedRules)],
    [
      'endpoint',
      'one endpoint removed (EDS)',
      () => {
        const { name, namespace } = serviceName(3);
        registry.removePod(namespace, `${name}-1`);
      },
    ],
    ['service', 'one service added', () => config.apply(addedService)],
  ];
  const rows: Row[] = [];
  for (const [key, what, change] of measured)
    if (key === 'connect' || changes.includes(key))
      rows.push(await profiled(child, `${protocol}-${key}`, () => measure(cp, child, what, change)));
  clearInterval(sampler);
  // The clients exit when the channel closes (so a profiler attached to them gets to write).
  const exited = once(child, 'exit');
  child.disconnect();
  await exited;
  await cp.close();
  return { protocol, setupMs, peakRssMB: Math.round(peakRss / 1048576), rows };
}

/** Each protocol in a fresh process of this script. */
async function runEach(): Promise<Summary[]> {
  const out: Summary[] = [];
  for (const protocol of PROTOCOLS) {
    const args = process.argv
      .slice(2)
      .filter((a, i, all) => a !== '--protocol' && all[i - 1] !== '--protocol');
    const child = fork(new URL(import.meta.url).pathname, [...args, '--protocol', protocol], {
      stdio: 'inherit',
    });
    const [summary] = (await once(child, 'message')) as [Summary];
    await once(child, 'exit');
    out.push(summary);
  }
  return out;
}

if (values.protocol !== 'both' && process.send) {
  process.send(await run(values.protocol));
  process.exit(0);
}
const summaries = values.protocol === 'both' ? await runEach() : [await run(values.protocol)];
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  services,
  endpoints: services * 2,
  rules,
  proxies,
  results: summaries,
};
console.log(
  `control plane: ${services} services × 2 endpoints (${podAddress(services - 1, 1)} last), ${rules} VS + ${rules} DR, ${proxies} proxies`,
);
console.table(summaries.flatMap((s) => s.rows.map((r) => ({ protocol: s.protocol, ...r }))));
for (const s of summaries) console.log(`${s.protocol}: setup ${s.setupMs} ms, peak RSS ${s.peakRssMB} MB`);
if (values.out) writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
