// The proxy process: bootstrap → ADS subscriptions → clusters, endpoints, listeners and routes;
// admin, readiness and Prometheus endpoints; graceful drain on shutdown.
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
  SECRET_TYPE,
  structOf,
} from '../envoy/index.ts';
import { decodeSecret } from './listener/tls.ts';
import type { SecretConfig } from './listener/tls.ts';
import type { Bootstrap } from './bootstrap.ts';
import { AccessLogSinks } from './http/access-log.ts';
import type { HcmEnv } from './http/connection-manager.ts';
import { ListenerManager } from './listener/manager.ts';
import { register } from './register.ts';
import type { RouteTable } from './router/route-config.ts';
import { decodeRouteConfig } from './router/route-config.ts';
import { StatsStore } from './stats/store.ts';
import type { Stat } from './stats/store.ts';
import { ClusterManager } from './upstream/cluster-manager.ts';
import { createAdsClient } from './xds/index.ts';
import type { AdsClient, TypeHandler } from './xds/index.ts';
import { decodeCluster } from './xds/decode/cluster.ts';
import type { ClusterConfig } from './xds/decode/cluster.ts';
import { decodeLoadAssignment } from './xds/decode/endpoint.ts';
import type { LoadAssignment } from './xds/decode/endpoint.ts';
import { decodeListener } from './xds/decode/listener.ts';
import type { ListenerConfig } from './xds/decode/listener.ts';
import type { Obj } from './xds/decode/read.ts';
import { AdminServer } from './admin/server.ts';
import type { WorkerBridge } from './workers.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface ProxyOptions {
  /** Where log lines go (default stderr). */
  readonly log?: (line: string) => void;
  readonly logLevel?: LogLevel;
  /** Set in worker mode: this worker's index among `count`; worker 0 serves the admin endpoints. */
  readonly worker?: { readonly index: number; readonly count: number; readonly bridge: WorkerBridge };
}

/** Version and update time of one accepted resource, for /config_dump. */
export interface ResourceMeta {
  readonly version: string;
  readonly lastUpdated: Date;
  readonly raw: Obj;
}

export const VERSION = '1.0.0';

export class Proxy {
  readonly bootstrap: Bootstrap;
  readonly stats = new StatsStore();
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  readonly accessLogs = new AccessLogSinks();
  readonly routes = new Map<string, RouteTable>();
  readonly secrets = new Map<string, SecretConfig>();
  readonly ads: AdsClient;
  readonly admin: AdminServer;
  readonly startTime = Date.now();
  /** Accepted resources by type URL and name. */
  readonly resources = new Map<string, Map<string, ResourceMeta>>();
  logLevel: LogLevel;
  readonly worker: ProxyOptions['worker'];
  #ready = false;
  #draining = false;
  readonly #write: (line: string) => void;
  readonly #server: Record<
    'live' | 'uptime' | 'state' | 'concurrency' | 'days_until_first_cert_expiring',
    Stat
  >;
  readonly #updates: Record<string, { success: Stat; rejected: Stat }>;
  #stopping: Promise<void> | undefined;
  #stoppedResolve: () => void = () => {};
  /** Resolves once the proxy has stopped (SIGTERM, /quitquitquit or stop()). */
  readonly stopped = new Promise<void>((resolve) => (this.#stoppedResolve = resolve));

  constructor(bootstrap: Bootstrap, options: ProxyOptions = {}) {
    register();
    this.bootstrap = bootstrap;
    this.logLevel = options.logLevel ?? 'info';
    this.worker = options.worker;
    this.#write = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    const server = this.stats.server();
    this.#server = {
      live: server.gauge('live'),
      uptime: server.gauge('uptime'),
      state: server.gauge('state'),
      concurrency: server.gauge('concurrency'),
      days_until_first_cert_expiring: server.gauge('days_until_first_cert_expiring'),
    };
    this.#server.state.set(2); // PRE_INITIALIZING until the first full config
    this.#server.concurrency.set(options.worker?.count ?? 1);
    const connected = this.stats.controlPlane().gauge('connected_state');
    const scoped = (prefix: string) => {
      const s = this.stats.other(prefix);
      return { success: s.counter('update_success'), rejected: s.counter('update_rejected') };
    };
    this.#updates = {
      [CLUSTER_TYPE]: scoped('cluster_manager.cds'),
      [LISTENER_TYPE]: scoped('listener_manager.lds'),
      [ROUTE_TYPE]: scoped('rds'),
      [ENDPOINT_TYPE]: scoped('cluster_manager.eds'),
      [SECRET_TYPE]: scoped('sds'),
    };
    this.clusters = new ClusterManager(this.stats, (name) => this.secrets.get(name));
    const env: HcmEnv = {
      clusters: this.clusters,
      routes: (name) => this.routes.get(name),
      stats: this.stats,
      accessLogs: this.accessLogs,
      log: (level, message) => this.log(level, message),
      secrets: (name) => this.secrets.get(name),
    };
    this.listeners = new ListenerManager(env, bootstrap.drainMs);
    this.ads = createAdsClient(bootstrap.xds.apiType, {
      address: `${bootstrap.xds.address.host}:${bootstrap.xds.address.port}`,
      node: this.nodeMessage(),
      handlers: this.#handlers(),
      backoffBaseMs: bootstrap.xds.backoffBaseMs,
      backoffMaxMs: bootstrap.xds.backoffMaxMs,
      log: (level, message) => this.log(level, message),
      onConnectedChange: (c) => connected.set(c ? 1 : 0),
      onUpdate: (typeUrl, accepted) => {
        const u = this.#updates[typeUrl];
        if (u) (accepted ? u.success : u.rejected).inc();
        if (accepted) this.#checkReady();
      },
    });
    this.admin = new AdminServer(this);
  }

  log(level: LogLevel, message: string): void {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(this.logLevel)) return;
    this.#write(`${new Date().toISOString()}\t${level}\t${message}`);
  }

  /** The DiscoveryRequest.node this proxy sends (Istio's identity fields). */
  nodeMessage(): Obj {
    const b = this.bootstrap.node;
    return {
      id: b.id,
      cluster: b.cluster,
      metadata: structOf(b.metadata),
      locality: b.locality ?? {},
      userAgentName: 'caravel',
      userAgentVersion: VERSION,
    };
  }

  async start(): Promise<void> {
    this.#server.live.set(1);
    if (!this.worker || this.worker.index === 0) await this.admin.listen();
    this.ads.start();
    const xds = this.bootstrap.xds.address;
    this.log(
      'info',
      `proxy ${this.bootstrap.node.id} started; ${this.admin.port('admin') === undefined ? '' : `admin on ${this.bootstrap.admin.host}:${this.admin.port('admin')}; `}control plane ${xds.host}:${xds.port}`,
    );
  }

  get ready(): boolean {
    return this.#ready && !this.#draining;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** The stats to report: this process's, or in worker mode the sum over all workers. */
  async statsView(): Promise<StatsStore> {
    this.uptimeSeconds();
    if (!this.worker) return this.stats;
    return StatsStore.merge(await this.worker.bridge.gather());
  }

  /** /quitquitquit: stops this proxy, or in worker mode every worker. */
  quit(): void {
    if (this.worker) this.worker.bridge.quitAll();
    else void this.stop();
  }

  uptimeSeconds(): number {
    const s = Math.floor((Date.now() - this.startTime) / 1000);
    this.#server.uptime.set(s);
    return s;
  }

  #track<T extends { raw: Obj }>(typeUrl: string, configs: ReadonlyMap<string, T>, version: string): void {
    const prev = this.resources.get(typeUrl) ?? new Map<string, ResourceMeta>();
    const next = new Map<string, ResourceMeta>();
    for (const [name, c] of configs) {
      const old = prev.get(name);
      next.set(
        name,
        old && (old.raw === c.raw || JSON.stringify(old.raw) === JSON.stringify(c.raw))
          ? old
          : { version, lastUpdated: new Date(), raw: c.raw },
      );
    }
    this.resources.set(typeUrl, next);
  }

  #handlers(): TypeHandler[] {
    const clusters: TypeHandler<ClusterConfig> = {
      typeUrl: CLUSTER_TYPE,
      fullState: true,
      decode: (r, name) => decodeCluster(r, name),
      apply: (configs, version) => {
        this.clusters.setClusters(configs, version);
        this.#track(CLUSTER_TYPE, configs, version);
      },
      names: () => undefined,
    };
    const endpoints: TypeHandler<LoadAssignment> = {
      typeUrl: ENDPOINT_TYPE,
      fullState: false,
      decode: (r, name) => decodeLoadAssignment(r, name),
      apply: (assignments, version) => {
        this.clusters.setAssignments(assignments);
        this.#track(ENDPOINT_TYPE, assignments, version);
      },
      names: () => this.clusters.edsNames(),
    };
    const listeners: TypeHandler<ListenerConfig> = {
      typeUrl: LISTENER_TYPE,
      fullState: true,
      decode: (r, name) => decodeListener(r, name),
      apply: async (configs, version) => {
        await this.listeners.setListeners(configs);
        this.#track(LISTENER_TYPE, configs, version);
      },
      names: () => undefined,
    };
    const routes: TypeHandler<RouteTable> = {
      typeUrl: ROUTE_TYPE,
      fullState: false,
      decode: (r, name) => decodeRouteConfig(r, name),
      apply: (tables, version) => {
        this.routes.clear();
        for (const [name, t] of tables) this.routes.set(name, t);
        this.#track(ROUTE_TYPE, tables, version);
      },
      names: () => this.listeners.rdsNames(),
    };
    const secrets: TypeHandler<SecretConfig> = {
      typeUrl: SECRET_TYPE,
      fullState: false,
      decode: (r, name) => decodeSecret(r, name),
      apply: (configs, version) => {
        this.secrets.clear();
        for (const [name, s] of configs) this.secrets.set(name, s);
        this.#track(SECRET_TYPE, configs, version);
      },
      names: () => [...new Set([...this.listeners.sdsNames(), ...this.clusters.sdsNames()])],
    };
    return [clusters, endpoints, listeners, routes, secrets] as TypeHandler[];
  }

  /** Ready once clusters, their endpoints, listeners and their routes have all arrived once. */
  #checkReady(): void {
    if (this.#ready) return;
    const ads = this.ads;
    if (!ads.received(CLUSTER_TYPE) || !ads.received(LISTENER_TYPE)) return;
    if (!this.clusters.edsNames().every((n) => this.clusters.hasAssignment(n))) return;
    if (!this.listeners.rdsNames().every((n) => this.routes.has(n))) return;
    this.#ready = true;
    this.#server.state.set(0);
    this.log('info', 'initial configuration applied; proxy is ready');
  }

  /** Graceful shutdown: readiness fails at once, listeners drain for `drainMs`, then everything closes. */
  stop(drainMs = this.bootstrap.drainMs): Promise<void> {
    this.#stopping ??= (async () => {
      this.#draining = true;
      this.#server.state.set(1);
      this.log('info', `draining for ${drainMs}ms`);
      this.ads.close();
      await this.listeners.close(drainMs);
      this.clusters.close();
      await this.admin.close();
      await this.accessLogs.close();
      this.#server.live.set(0);
      this.log('info', 'stopped');
      this.#stoppedResolve();
    })();
    return this.#stopping;
  }
}
