// The local mesh: the config store, the control plane, the ingress gateway and every workload with
// its sidecar, as processes on this machine. `caravel up` is a thin shell around LocalMesh.
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '../../common/index.ts';
import { openDurableStore, readManifests } from '../../config/index.ts';
import type { DurableStore } from '../../config/index.ts';
import type { Deployment, Namespace } from '../../api/index.ts';
import { ConfigInvalidError } from '../../errors/index.ts';
import { workloadFromTemplate } from '../../registry/index.ts';
import { startControlPlane, syncz } from '../../xds/index.ts';
import type { ControlPlane } from '../../xds/index.ts';
import { checkPorts } from '../ports.ts';
import { LocalRuntime } from '../runtime.ts';
import type { PodView, RuntimeEvent, RuntimeOptions } from '../runtime.ts';
import { writeBootstrap } from './bootstrap.ts';
import { INGRESS_HTTP_TARGET_PORT, INGRESS_LABELS, INGRESS_NAMESPACE, INSTALL_MANIFEST } from './install.ts';
import { publishPort } from './publish.ts';
import type { Published } from './publish.ts';
import { join } from 'node:path';

const CARAVEL_BIN = fileURLToPath(new URL('../../../bin/caravel.mjs', import.meta.url));

export interface MeshOptions {
  readonly stateDir: string;
  /** Host port the ingress gateway's port 80 is published on (default 8080). */
  readonly gatewayPort?: number;
  readonly gatewayHost?: string;
  /** Control plane ports: Istio's 15010 and 15014 by default; 0 picks free ones (tests). */
  readonly xdsPort?: number;
  readonly monitoringPort?: number;
  /** Proxy log level passed to every sidecar and gateway. */
  readonly proxyLogLevel?: string;
  /** Options passed through to the runtime (back-off, probe interval, grace). */
  readonly runtime?: Omit<RuntimeOptions, 'stateDir' | 'proxyCommand'>;
  readonly onEvent?: (event: RuntimeEvent) => void;
}

/** Where a running mesh can be reached; written to the state directory for other commands. */
export interface MeshInfo {
  readonly pid: number;
  readonly xdsPort: number;
  readonly monitoringPort: number;
  readonly gatewayUrl: string;
  readonly startedAt: string;
}

export const MESH_INFO_FILE = 'mesh.json';

/** Longer than the control plane's push debounce, so a pending push is seen before it counts. */
const CONVERGED_FOR_MS = 500;

export class LocalMesh {
  readonly store: DurableStore;
  readonly controlPlane: ControlPlane;
  readonly runtime: LocalRuntime;
  readonly info: MeshInfo;
  readonly #gateway: Published;
  #stopping = false;
  readonly #unsubscribe: (() => void)[] = [];

  private constructor(
    store: DurableStore,
    cp: ControlPlane,
    rt: LocalRuntime,
    info: MeshInfo,
    gateway: Published,
  ) {
    this.#gateway = gateway;
    this.store = store;
    this.controlPlane = cp;
    this.runtime = rt;
    this.info = info;
  }

  /**
   * Starts everything. `files` are applied first, all or nothing, so a bad manifest stops `up`
   * before any process starts.
   */
  static async start(
    options: MeshOptions,
    files: readonly { file: string; text: string }[] = [],
  ): Promise<LocalMesh> {
    const gatewayPort = options.gatewayPort ?? 8080;
    const gatewayHost = options.gatewayHost ?? '127.0.0.1';
    const store = await openDurableStore(options.stateDir, { watch: true });
    let cp: ControlPlane | undefined;
    let rt: LocalRuntime | undefined;
    let gateway: Published | undefined;
    try {
      await applyTexts(store, [{ file: '<built-in install>', text: INSTALL_MANIFEST }, ...files]);
      if (gatewayPort !== 0) {
        await checkPorts([
          { address: gatewayHost, port: gatewayPort, what: 'the ingress gateway', flag: '--gateway-port' },
        ]);
      }
      cp = await startControlPlane({
        xdsPort: options.xdsPort ?? 15010,
        monitoringPort: options.monitoringPort ?? 15014,
        config: store,
      });
      const xdsPort = cp.xdsPort;
      const logLevel = options.proxyLogLevel ?? 'info';
      rt = await LocalRuntime.open({
        ...options.runtime,
        stateDir: options.stateDir,
        proxyCommand: (pod, mode) => ({
          argv: [
            process.execPath,
            CARAVEL_BIN,
            'proxy',
            '--bootstrap',
            writeBootstrap(options.stateDir, pod, mode, { xdsHost: '127.0.0.1', xdsPort }),
            '--log-level',
            logLevel,
          ],
        }),
      });
      // Until the gateway pod exists, connections to the published port are refused by the
      // discard port of the loopback address; the first gateway pod retargets it.
      gateway = await publishPort(gatewayHost, gatewayPort, { host: '127.0.0.1', port: 9 });
      const info: MeshInfo = {
        pid: process.pid,
        xdsPort,
        monitoringPort: cp.monitoringPort,
        gatewayUrl: `http://${gatewayHost}:${gateway.port}`,
        startedAt: new Date().toISOString(),
      };
      const mesh = new LocalMesh(store, cp, rt, info, gateway);
      mesh.#wire(options);
      await mesh.reconcile();
      writeFileAtomicSync(join(options.stateDir, MESH_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
      return mesh;
    } catch (e) {
      await gateway?.close();
      await rt?.stop();
      await cp?.close();
      await store.close();
      throw e;
    }
  }

  #wire(options: MeshOptions): void {
    const registry = this.controlPlane.registry;
    this.#unsubscribe.push(
      this.runtime.subscribe((event) => {
        if (event.type === 'pod') {
          this.#podChanged(event.pod);
        } else if (event.type === 'pod-removed') {
          registry.removePod(event.namespace, event.name);
        }
        options.onEvent?.(event);
      }),
    );
    let queued = false;
    this.#unsubscribe.push(
      this.store.subscribe((e) => {
        if (e.resource.kind !== 'Deployment' && e.resource.kind !== 'Namespace') return;
        if (queued) return;
        queued = true;
        setImmediate(() => {
          queued = false;
          void this.reconcile();
        });
      }),
    );
  }

  #podChanged(pod: PodView): void {
    const { info, status } = pod;
    this.controlPlane.registry.upsertPod(
      workloadFromTemplate(info.template, {
        name: info.name,
        namespace: info.namespace,
        address: info.podIP,
        appAddress: info.appAddress,
        ready: status.ready,
      }),
    );
    const isIngress =
      info.gateway &&
      info.namespace === INGRESS_NAMESPACE &&
      Object.entries(INGRESS_LABELS).every(([k, v]) => info.labels[k] === v);
    if (isIngress) this.#gateway.retarget(info.podIP, INGRESS_HTTP_TARGET_PORT);
  }

  /**
   * Every pod is ready and every proxy has acknowledged the control plane's latest push, so
   * traffic follows the current config (no endpoint or route is still on its way).
   */
  converged(): boolean {
    const pods = this.runtime.pods();
    if (pods.length === 0 || !pods.every((p) => p.status.ready)) return false;
    const proxies = pods.filter((p) => p.info.sidecar || p.info.gateway).length;
    const rows = syncz(this.controlPlane.server);
    return (
      rows.length >= proxies &&
      rows.every((r) => ['CDS', 'LDS', 'EDS', 'RDS'].every((t) => r[t] === 'SYNCED' || r[t] === 'NOT SENT'))
    );
  }

  /** Resolves once the mesh has stayed converged for a moment (a push may follow a pod change). */
  async untilConverged(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let since: number | undefined;
    for (;;) {
      if (this.converged()) {
        since ??= Date.now();
        if (Date.now() - since >= CONVERGED_FOR_MS) return;
      } else since = undefined;
      if (Date.now() > deadline) throw new Error(`the mesh did not converge within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Brings the running pods in line with the store's Deployments and namespaces. */
  async reconcile(): Promise<void> {
    if (this.#stopping) return;
    await this.runtime.apply({
      deployments: this.store.list({ kind: 'Deployment' }) as Deployment[],
      namespaces: this.store.list({ kind: 'Namespace' }) as Namespace[],
    });
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const u of this.#unsubscribe) u();
    await this.runtime.stop();
    await this.#gateway.close();
    await this.controlPlane.close();
    await this.store.close();
  }
}

async function applyTexts(
  store: DurableStore,
  sources: readonly { file: string; text: string }[],
): Promise<void> {
  const { manifests, issues } = readManifests(sources);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0)
    throw new ConfigInvalidError(`${errors.length} invalid document(s); nothing was applied`, errors);
  await store.apply(manifests);
}
