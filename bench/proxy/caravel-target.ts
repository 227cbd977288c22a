// Caravel's sidecar as a benchmark target: the real control plane (a config store holding the
// bench mesh, pods fed to its registry as the local runtime does) and real `caravel proxy` child
// processes configured by it over xDS. Apps reach the mesh through their sidecar's 15001 HTTP
// proxy listener with absolute-form URIs (local mode's outbound path), so every request goes
// through the full outbound route table: 50 services' virtual hosts, header and regex matches.
//   one hop:  load → client sidecar :15001 → nginx (a service without a sidecar)
//   two hops: load → client sidecar :15001 → server sidecar inbound :appPort → nginx
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceRegistry, workloadFromTemplate } from '../../src/registry/index.ts';
import { startControlPlane } from '../../src/xds/index.ts';
import type { ControlPlane } from '../../src/xds/index.ts';
import { addPods } from '../control-plane-config.ts';
import { benchStore, MESHED, NAMESPACE, PLAIN, SERVICES } from './mesh.ts';
import { start } from './processes.ts';
import type { Proc } from './processes.ts';
import type { Deployment, Target } from './targets.ts';

export interface CaravelOptions {
  /** Write a V8 CPU profile of every proxy process (and worker) under this folder. */
  readonly cpuProfDir?: string;
}

export interface CaravelTargets {
  readonly targets: readonly Target[];
  /** Stops the control plane (the proxies stop with their deployments). */
  close(): Promise<void>;
}

const HTTP_PROXY_PORT = 15001;
const CLI = new URL('../../bin/caravel.mjs', import.meta.url).pathname;
const workDir = mkdtempSync(join(tmpdir(), 'caravel-bench-sidecars-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET through the HTTP proxy until the mesh answers 200 (listeners, routes and endpoints pushed). */
async function waitForRoute(url: string, httpProxy: string, timeoutMs = 20000): Promise<void> {
  const [host, port] = httpProxy.split(':');
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await new Promise<string>((resolve) => {
      const req = request(
        { host, port: Number(port), path: url, headers: { host: new URL(url).host } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
        },
      );
      req.on('error', (e) => resolve(e.message));
      req.end();
    });
    if (last === '200') return;
    await sleep(100);
  }
  throw new Error(`${url} through ${httpProxy} did not answer 200 in ${timeoutMs} ms (last: ${last})`);
}

export function caravelTargets(options: CaravelOptions = {}): CaravelTargets {
  let cp: Promise<ControlPlane> | undefined;
  let nextHost = 1;

  // Started on first use: the Service under test targets the upstream's port, known only then.
  const controlPlane = (appPort: number) =>
    (cp ??= (async () => {
      const registry = new ServiceRegistry();
      const started = await startControlPlane({
        xdsPort: 0,
        monitoringPort: 0,
        config: await benchStore(appPort),
        registry,
        debounceMs: 10,
      });
      addPods(registry, SERVICES);
      registry.upsertPod(
        workloadFromTemplate(
          { metadata: { labels: { app: PLAIN } } },
          { name: `${PLAIN}-0`, namespace: NAMESPACE, address: '127.0.0.1' },
        ),
      );
      return started;
    })());

  /** Registers a pod on a fresh loopback address and starts its sidecar. */
  async function sidecar(
    appPort: number,
    app: string,
    concurrency: number,
  ): Promise<{ address: string; proc: Proc; remove(): void }> {
    const plane = await controlPlane(appPort);
    const n = nextHost++;
    const address = `127.3.${n >> 8}.${n & 255}`;
    const name = `${app}-${n}`;
    plane.registry.upsertPod(
      workloadFromTemplate(
        { metadata: { labels: { app, version: 'v1' } } },
        { name, namespace: NAMESPACE, address, appAddress: '127.0.0.1' },
      ),
    );
    const bootstrap = join(workDir, `${name}.json`);
    writeFileSync(
      bootstrap,
      JSON.stringify({
        node: {
          id: `sidecar~${address}~${name}.${NAMESPACE}~${NAMESPACE}.svc.cluster.local`,
          cluster: `${app}.${NAMESPACE}`,
          metadata: {
            NAME: name,
            NAMESPACE,
            LABELS: { app, version: 'v1' },
            INSTANCE_IPS: address,
            INTERCEPTION_MODE: 'NONE',
          },
        },
        xds: { address: `127.0.0.1:${plane.xdsPort}` },
        admin: { address: `${address}:15000` },
        readiness: { address: `${address}:15021` },
        drainDuration: '200ms',
      }),
    );
    const nodeFlags: string[] = [];
    if (options.cpuProfDir) {
      const dir = join(options.cpuProfDir, name);
      mkdirSync(dir, { recursive: true });
      nodeFlags.push('--cpu-prof', '--cpu-prof-dir', dir);
    }
    const proc = start(name, process.execPath, [
      ...nodeFlags,
      CLI,
      'proxy',
      '--bootstrap',
      bootstrap,
      '--log-level',
      'warn',
      ...(concurrency > 1 ? ['--concurrency', String(concurrency)] : []),
    ]);
    return { address, proc, remove: () => plane.registry.removePod(NAMESPACE, name) };
  }

  /** Stopping a deployment also takes its pods out of the registry. */
  function deployment(url: string, client: { address: string }, pods: Awaited<ReturnType<typeof sidecar>>[]) {
    const httpProxy = `${client.address}:${HTTP_PROXY_PORT}`;
    const proxies: Proc[] = pods.map((p) => ({
      ...p.proc,
      stop: async () => {
        await p.proc.stop();
        p.remove();
      },
    }));
    return { url, httpProxy, proxies } satisfies Deployment;
  }

  const target = (name: string, concurrency: number): Target => ({
    name,
    async single(appPort) {
      const client = await sidecar(appPort, 'client', concurrency);
      const d = deployment(`http://${PLAIN}.${NAMESPACE}.svc.cluster.local/`, client, [client]);
      await waitForRoute(d.url, d.httpProxy);
      return d;
    },
    async chain(appPort) {
      const server = await sidecar(appPort, MESHED, concurrency);
      const client = await sidecar(appPort, 'client', concurrency);
      const d = deployment(`http://${MESHED}.${NAMESPACE}.svc.cluster.local/`, client, [client, server]);
      await waitForRoute(d.url, d.httpProxy);
      return d;
    },
  });

  return {
    targets: [target('caravel', 1), target('caravel (2 workers)', 2)],
    async close() {
      if (cp) await (await cp).close();
    },
  };
}
