// Proxies against the real control plane: startControlPlane on port 0 over a MemoryStore fed Istio
// YAML, pods in its registry as the local runtime registers them, apps listening on pod addresses,
// and in-process proxies bootstrapped with either ADS protocol. Each scene takes a random
// 127.X.Y.0/24 block, so the fixed ports of its pods never meet another test file's.
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore, readManifests } from '../../config/index.ts';
import type { ObjectRef } from '../../config/index.ts';
import { ServiceRegistry, workloadFromTemplate } from '../../registry/index.ts';
import { startControlPlane, syncz } from '../../xds/index.ts';
import type { ControlPlane, ProxySyncStatus } from '../../xds/index.ts';
import { bootstrapFrom } from '../bootstrap.ts';
import { Proxy } from '../proxy.ts';
import type { ApiType } from '../xds/index.ts';

const TYPES = ['CDS', 'LDS', 'EDS', 'RDS'] as const;

export interface Pod {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A proxy with the log lines it wrote (debug level). */
export interface LoggedProxy {
  readonly proxy: Proxy;
  readonly logs: string[];
}

/** Polls `check` until it holds (no fixed sleeps in tests). */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export class TestControlPlane {
  readonly store = new MemoryStore();
  readonly registry = new ServiceRegistry();
  cp!: ControlPlane;
  readonly #block = `127.${20 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 250)}.`;
  #next = 1;
  readonly #proxies: Proxy[] = [];
  readonly #apps: http.Server[] = [];

  static async start(yaml: string): Promise<TestControlPlane> {
    const scene = new TestControlPlane();
    await scene.apply(yaml);
    await scene.#listen(0);
    return scene;
  }

  async #listen(xdsPort: number): Promise<void> {
    this.cp = await startControlPlane({
      xdsPort,
      monitoringPort: 0,
      config: this.store,
      registry: this.registry,
      debounceMs: 5,
      mesh: { accessLogFile: '' },
    });
  }

  /** Applies YAML; with the control plane up, waits for the push it causes. */
  async apply(yaml: string): Promise<void> {
    const set = readManifests([{ file: 'test.yaml', text: yaml }]);
    assert.deepEqual(
      set.issues.filter((i) => i.severity === 'error').map((i) => `${i.line}: ${i.message}`),
      [],
    );
    await this.#changed(async () =>
      (await this.store.apply(set.manifests)).some((o) => o.action !== 'unchanged'),
    );
  }

  async delete(...refs: ObjectRef[]): Promise<void> {
    await this.#changed(async () => {
      await this.store.delete(refs);
      return true;
    });
  }

  async #changed(change: () => Promise<boolean>): Promise<void> {
    const push = this.cp?.server.pushContext;
    if ((await change()) && push)
      await until(() => this.cp.server.pushContext !== push, 'a push after the change');
  }

  /** Registers a pod with its labels and container ports. */
  addPod(name: string, labels: Record<string, string>, ports: number[]): Pod {
    const ip = `${this.#block}${this.#next++}`;
    this.registry.upsertPod(
      workloadFromTemplate(
        {
          metadata: { labels },
          spec: { containers: [{ ports: ports.map((containerPort) => ({ containerPort })) }] },
        },
        { name, namespace: 'default', address: ip, appAddress: ip },
      ),
    );
    return { name, namespace: 'default', ip, labels };
  }

  /** An app on the pod's address answering JSON {name, url}. */
  async app(pod: Pod, port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: pod.name, url: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(port, pod.ip, resolve));
    this.#apps.push(server);
  }

  /** Starts the pod's proxy (a sidecar, or a gateway: `router`), logging at debug level. */
  async proxy(type: 'sidecar' | 'router', pod: Pod, apiType?: ApiType): Promise<LoggedProxy> {
    const logs: string[] = [];
    const proxy = new Proxy(
      bootstrapFrom({
        node: {
          id: `${type}~${pod.ip}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`,
          cluster: `${pod.name}.${pod.namespace}`,
          metadata: {
            NAME: pod.name,
            NAMESPACE: pod.namespace,
            LABELS: pod.labels,
            INSTANCE_IPS: pod.ip,
            INTERCEPTION_MODE: 'NONE',
          },
        },
        xds: {
          address: `127.0.0.1:${this.cp.xdsPort}`,
          backoff: { base: '50ms', max: '200ms' },
          ...(apiType ? { apiType } : {}),
        },
        admin: { address: `${pod.ip}:0` },
        drainDuration: '50ms',
      }),
      { log: (line) => logs.push(line), logLevel: 'debug' },
    );
    this.#proxies.push(proxy);
    await proxy.start();
    await until(() => proxy.ready, `${pod.name} ready`);
    return { proxy, logs };
  }

  /** The control plane's status row of a proxy (/debug/syncz). */
  status(proxy: Proxy): ProxySyncStatus | undefined {
    return syncz(this.cp.server).find((r) => r.proxy === proxy.bootstrap.node.id);
  }

  /** Waits until the control plane pushed the latest config and every proxy ACKed it. */
  async converged(): Promise<void> {
    await this.cp.server.settle();
    await until(
      () => syncz(this.cp.server).every((row) => TYPES.every((t) => row[t] !== 'STALE' && row[t] !== 'NACK')),
      'proxies in sync',
    );
  }

  /** Stops the control plane; the proxies keep serving what they have. */
  async stop(): Promise<void> {
    await this.cp.close();
  }

  /** Starts the control plane again on its port, with the same config and registry. */
  async restart(): Promise<void> {
    await this.#listen(this.cp.xdsPort);
  }

  async close(): Promise<void> {
    await Promise.all(this.#proxies.map((p) => p.stop(0)));
    for (const s of this.#apps) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await this.cp.close();
  }
}
