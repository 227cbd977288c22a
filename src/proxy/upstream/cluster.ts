// A live upstream cluster: its hosts (from STATIC load_assignment or EDS), the eligible set after
// priority, health and panic threshold, the load balancer over it, and per-host connection pools.
import type { ClusterConfig } from '../xds/decode/cluster.ts';
import type { EndpointConfig, LoadAssignment } from '../xds/decode/endpoint.ts';
import type { Scope } from '../stats/store.ts';
import { Host } from './host.ts';
import type { LoadBalancer } from './lb/types.ts';
import { loadBalancerFactory, randomIndex } from './lb/types.ts';
import type net from 'node:net';
import { upstreamTlsOptions } from '../listener/tls.ts';
import type { SecretConfig } from '../listener/tls.ts';
import { connectHost, Http1Pool, Http2Pool } from './pool.ts';
import type { ConnectionPool, PoolOptions } from './pool.ts';
import { refreshBreakers } from './admission.ts';
import { OutlierDetector } from './outlier.ts';
import { clusterStats } from './stats.ts';
import type { ClusterStats } from './stats.ts';

const ORIGINAL_DST_MAX_HOSTS = 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

export class Cluster {
  readonly config: ClusterConfig;
  readonly stats: ClusterStats;
  readonly versionInfo: string;
  readonly lastUpdated: Date = new Date();
  readonly #scope: Scope;
  readonly #poolOptions: PoolOptions;
  #hosts = new Map<string, Host>();
  #assignment: LoadAssignment | undefined;
  #lb: LoadBalancer = { choose: () => undefined };
  /** Ejects hosts on consecutive failures (when the cluster has outlier_detection). */
  readonly outlier: OutlierDetector | undefined;
  /** Set when a change (health, ejection) needs the eligible set recomputed before the next pick. */
  #dirty = false;

  /** `previous` is the cluster of the same name this one replaces: its hosts keep their pools and counters. */
  constructor(
    config: ClusterConfig,
    scope: Scope,
    versionInfo: string,
    previous?: Cluster,
    secrets: (name: string) => SecretConfig | undefined = () => undefined,
  ) {
    this.config = config;
    this.versionInfo = versionInfo;
    this.#scope = scope;
    this.stats = clusterStats(scope);
    this.#poolOptions = {
      connectTimeoutMs: config.connectTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxConnections: config.thresholds.maxConnections,
      stats: this.stats,
      onConnections: () => refreshBreakers(this),
      tls: config.tls ? () => upstreamTlsOptions(config.tls!, secrets) : undefined,
    };
    // As in Envoy, a replaced cluster starts outlier detection afresh: no host stays ejected.
    previous?.outlier?.close();
    previous?.outlier?.stats['outlier_detection.ejections_active'].set(0);
    this.outlier = config.outlierDetection
      ? new OutlierDetector(
          config.outlierDetection,
          scope,
          () => this.hosts,
          () => this.invalidate(),
        )
      : undefined;
    if (previous && previous.config.type !== 'ORIGINAL_DST' && config.type !== 'ORIGINAL_DST') {
      const samePools =
        previous.config.http2 === config.http2 &&
        previous.config.connectTimeoutMs === config.connectTimeoutMs &&
        previous.config.idleTimeoutMs === config.idleTimeoutMs &&
        previous.config.thresholds.maxConnections === config.thresholds.maxConnections;
      for (const [address, host] of previous.#hosts) {
        if (!samePools) {
          host.pool?.close();
          host.pool = undefined;
        }
        host.outlier = undefined;
        host.ejectedUntil = 0;
        this.#hosts.set(address, host);
      }
    } else if (previous) {
      for (const host of previous.#hosts.values()) host.pool?.close();
    }
    const assignment =
      config.loadAssignment ?? (config.type === 'EDS' && previous ? previous.#assignment : undefined);
    if (assignment) this.setEndpoints(assignment);
    else {
      for (const host of this.#hosts.values()) host.pool?.close();
      this.#hosts.clear();
      this.#rebuild();
    }
    refreshBreakers(this);
  }

  get hosts(): readonly Host[] {
    return [...this.#hosts.values()];
  }

  get assignment(): LoadAssignment | undefined {
    return this.#assignment;
  }

  setEndpoints(assignment: LoadAssignment): void {
    const next = new Map<string, Host>();
    for (const ep of assignment.endpoints) {
      const key = ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
      const existing = this.#hosts.get(key) ?? next.get(key);
      const host = existing ?? new Host(ep);
      if (existing) host.update(ep as EndpointConfig);
      next.set(key, host);
    }
    for (const [key, host] of this.#hosts) if (!next.has(key)) host.pool?.close();
    const changed = next.size !== this.#hosts.size || [...next.keys()].some((k) => !this.#hosts.has(k));
    this.#hosts = next;
    this.#assignment = assignment;
    if (changed) this.stats.membership_change.inc();
    this.stats.update_success.inc();
    if (assignment.endpoints.length === 0) this.stats.update_empty.inc();
    this.#rebuild();
  }

  /** Marks the eligible set stale (a host's health or ejection changed). */
  invalidate(): void {
    this.#dirty = true;
  }

  #rebuild(): void {
    this.#dirty = false;
    const all = [...this.#hosts.values()];
    let healthy = 0;
    let degraded = 0;
    for (const h of all) {
      if (h.healthy) healthy++;
      else if (h.health === 'DEGRADED') degraded++;
    }
    this.stats.membership_total.set(all.length);
    this.stats.membership_healthy.set(healthy);
    this.stats.membership_degraded.set(degraded);
    this.stats.max_host_weight.set(all.reduce((m, h) => Math.max(m, h.weight), 0));
    const factory = loadBalancerFactory(
      this.config.lbPolicy === 'CLUSTER_PROVIDED' ? 'ROUND_ROBIN' : this.config.lbPolicy,
    );
    if (!factory) throw new Error(`no load balancer registered for ${this.config.lbPolicy}`);
    const eligible = this.#eligible(all);
    if (this.config.localityWeighted && eligible.length > 1) {
      this.#lb = localityWeighted(eligible, (hosts) => factory(hosts, this.config));
    } else {
      this.#lb = factory(eligible, this.config);
    }
  }

  /** The lowest priority with healthy hosts; below the panic threshold every host of it is used. */
  #eligible(all: Host[]): Host[] {
    if (all.length === 0) return [];
    const priorities = [...new Set(all.map((h) => h.priority))].sort((a, b) => a - b);
    for (const p of priorities) {
      const level = all.filter((h) => h.priority === p);
      const healthy = level.filter((h) => h.healthy);
      if (healthy.length === 0) continue;
      if ((healthy.length / level.length) * 100 < this.config.panicThreshold) return level;
      return healthy;
    }
    const degraded = all.filter((h) => h.health === 'DEGRADED' && h.ejectedUntil <= Date.now());
    if (degraded.length > 0) return degraded;
    // Nothing healthy anywhere: the panic threshold decides between all hosts and none.
    const first = all.filter((h) => h.priority === priorities[0]);
    return this.config.panicThreshold > 0 ? first : [];
  }

  /** Picks a host for a request; `authority` names the destination of ORIGINAL_DST clusters. */
  chooseHost(hash: number | undefined, originalDst?: string): Host | undefined {
    if (this.config.type === 'ORIGINAL_DST')
      return originalDst ? this.#originalDstHost(originalDst) : undefined;
    if (this.#dirty) this.#rebuild();
    return this.#lb.choose(hash);
  }

  #originalDstHost(target: string): Host | undefined {
    let host = this.#hosts.get(target);
    if (host) return host;
    const colon = target.lastIndexOf(':');
    const name = colon > 0 && !target.endsWith(']') ? target.slice(0, colon) : target;
    const port = colon > 0 && !target.endsWith(']') ? Number(target.slice(colon + 1)) : 80;
    if (!Number.isInteger(port) || port <= 0 || port > 65535 || !name) return undefined;
    host = new Host({ host: name.replace(/^\[|\]$/g, ''), port });
    if (this.#hosts.size >= ORIGINAL_DST_MAX_HOSTS) {
      const [oldest, old] = this.#hosts.entries().next().value as [string, Host];
      old.pool?.close();
      this.#hosts.delete(oldest);
    }
    this.#hosts.set(target, host);
    return host;
  }

  /** A new, unpooled connection to a host (tunnels and tcp_proxy), with this cluster's TLS. */
  connect(host: Host): net.Socket {
    return connectHost(host, this.#poolOptions);
  }

  pool(host: Host): ConnectionPool {
    return (host.pool ??= this.config.http2
      ? new Http2Pool(host, this.#poolOptions)
      : new Http1Pool(host, this.#poolOptions, this.config.maxRequestsPerConnection));
  }

  /** Closes every pool; `keepStats` when a cluster of the same name takes over. */
  close(keepStats = false): void {
    this.outlier?.close();
    for (const h of this.#hosts.values()) h.pool?.close();
    if (!keepStats) this.#scope.remove();
  }
}

/** Picks a locality by its weight scaled by its healthy share, then a host inside it. */
function localityWeighted(hosts: readonly Host[], build: (hosts: Host[]) => LoadBalancer): LoadBalancer {
  const groups = new Map<string, Host[]>();
  for (const h of hosts) {
    const key = `${h.locality.region}/${h.locality.zone}/${h.locality.subZone}`;
    const g = groups.get(key);
    if (g) g.push(h);
    else groups.set(key, [h]);
  }
  const entries = [...groups.values()].map((g) => ({ weight: g[0]!.localityWeight, lb: build(g) }));
  const total = entries.reduce((s, e) => s + e.weight, 0);
  return {
    choose(hash) {
      if (total <= 0) return entries[randomIndex(entries.length)]?.lb.choose(hash);
      let x = Math.random() * total;
      for (const e of entries) {
        x -= e.weight;
        if (x < 0) return e.lb.choose(hash);
      }
      return entries[entries.length - 1]!.lb.choose(hash);
    },
  };
}
