// Control-plane benchmark: a synthetic mesh (services × 2 endpoints, VirtualServices and
// DestinationRules), N simulated sidecars in a child process, and the time from a change to every
// proxy having ACKed it, with the control plane's CPU and memory.
//   node bench/control-plane.ts [--services 1000] [--rules 100] [--proxies 100]
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
    out: { type: 'string' },
  },
});
const services = Number(values.services);
const rules = Number(values.rules);
const proxies = Number(values.proxies);

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

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

async function measure(
  cp: ControlPlane,
  what: string,
  change: () => unknown,
): Promise<Record<string, number | string>> {
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
    'ms to all ACKed': Math.round(performance.now() - started),
    'cpu ms': Math.round((used.user + used.system) / 1000),
    'rss MB': Math.round(process.memoryUsage().rss / 1048576),
  };
}

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

const child = fork(
  new URL('./control-plane-clients.ts', import.meta.url).pathname,
  ['--port', String(cp.xdsPort), '--proxies', String(proxies)],
  {
    stdio: 'inherit',
  },
);
const rows: Record<string, number | string>[] = [];
rows.push(await measure(cp, `${proxies} proxies connect (full config)`, () => undefined));
let generation = 0;
rows.push(
  await measure(cp, `${rules} VirtualServices + DestinationRules changed`, () => {
    generation++;
    return config.apply(
      meshManifests(services, rules, generation).filter((m) => m.resource.kind !== 'Service'),
    );
  }),
);
rows.push(
  await measure(cp, 'one endpoint removed (EDS)', () => {
    const { name, namespace } = serviceName(3);
    registry.removePod(namespace, `${name}-1`);
  }),
);
rows.push(
  await measure(cp, 'one service added', () =>
    config.apply(
      meshManifests(services + 1, 0).filter((m) => m.resource.metadata.name === serviceName(services).name),
    ),
  ),
);
clearInterval(sampler);
child.kill();
await cp.close();

const summary = {
  date: new Date().toISOString(),
  node: process.version,
  services,
  endpoints: services * 2,
  rules,
  proxies,
  setupMs,
  peakRssMB: Math.round(peakRss / 1048576),
  results: rows,
};
console.log(
  `control plane: ${services} services × 2 endpoints (${podAddress(services - 1, 1)} last), ${rules} VS + ${rules} DR, ${proxies} proxies`,
);
console.table(rows);
console.log(`setup ${setupMs} ms, peak RSS ${summary.peakRssMB} MB`);
if (values.out) writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
