// tcp_proxy: picks a cluster (weighted) and a host, connects, and splices the two connections.
import type net from 'node:net';
import type { StatsStore } from '../stats/store.ts';
import { defineStats } from '../stats/store.ts';
import type { Stat } from '../stats/store.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import { readyEvent } from '../upstream/pool.ts';
import type { TcpProxyConfig } from '../xds/decode/hcm.ts';
import type { AccessLogSinks } from '../http/access-log.ts';
import { StreamInfo } from '../http/stream-info.ts';

export const TCP_STATS = {
  counters: [
    'downstream_cx_total',
    'downstream_cx_no_route',
    'upstream_flush_total',
    'idle_timeout',
    'downstream_cx_rx_bytes_total',
    'downstream_cx_tx_bytes_total',
  ],
  gauges: ['downstream_cx_rx_bytes_buffered', 'downstream_cx_tx_bytes_buffered'],
} as const;

export class TcpProxy {
  readonly config: TcpProxyConfig;
  readonly #clusters: ClusterManager;
  readonly #accessLogs: AccessLogSinks;
  readonly #stats: Record<
    (typeof TCP_STATS)['counters'][number] | (typeof TCP_STATS)['gauges'][number],
    Stat
  >;
  readonly #open = new Set<net.Socket>();

  constructor(
    config: TcpProxyConfig,
    clusters: ClusterManager,
    stats: StatsStore,
    accessLogs: AccessLogSinks,
  ) {
    this.config = config;
    this.#clusters = clusters;
    this.#accessLogs = accessLogs;
    this.#stats = defineStats(stats.tcp(config.statPrefix), TCP_STATS);
  }

  #clusterName(): string | undefined {
    const w = this.config.weighted;
    if (w.length === 0) return this.config.cluster;
    const total = w.reduce((s, c) => s + c.weight, 0);
    let x = Math.random() * total;
    for (const c of w) {
      x -= c.weight;
      if (x < 0) return c.name;
    }
    return w.at(-1)!.name;
  }

  handleConnection(downstream: net.Socket, serverName: string): void {
    this.#stats.downstream_cx_total.inc();
    const info = new StreamInfo();
    info.remoteAddress = downstream.remoteAddress ?? '';
    info.remotePort = downstream.remotePort ?? 0;
    info.localAddress = downstream.localAddress ?? '';
    info.localPort = downstream.localPort ?? 0;
    info.protocol = '-';
    info.authority = serverName;
    const name = this.#clusterName();
    const cluster = name === undefined ? undefined : this.#clusters.get(name);
    const log = () => {
      info.durationMs = performance.now() - info.startMs;
      if (this.config.accessLogs.length) this.#accessLogs.write(this.config.accessLogs, info);
    };
    if (!cluster) {
      this.#stats.downstream_cx_no_route.inc();
      info.setFlag('NC');
      downstream.destroy();
      log();
      return;
    }
    info.upstreamCluster = cluster.config.name;
    // ORIGINAL_DST behind SNI routing: the server name and the listener port name the destination.
    const host = cluster.chooseHost(
      undefined,
      serverName ? `${serverName}:${downstream.localPort}` : undefined,
    );
    if (!host) {
      cluster.stats.upstream_cx_none_healthy.inc();
      info.setFlag('UH');
      downstream.destroy();
      log();
      return;
    }
    info.upstreamHost = host.address;
    downstream.pause();
    const upstream = cluster.connect(host);
    this.#open.add(downstream);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.#open.delete(downstream);
      downstream.destroy();
      upstream.destroy();
      log();
    };
    upstream.once(readyEvent(upstream), () => {
      // Byte counters attach only now: a 'data' listener would start the paused downstream early.
      downstream.on('data', (c: Buffer) => {
        info.bytesReceived += c.length;
        this.#stats.downstream_cx_rx_bytes_total.inc(c.length);
      });
      upstream.on('data', (c: Buffer) => {
        info.bytesSent += c.length;
        this.#stats.downstream_cx_tx_bytes_total.inc(c.length);
      });
      downstream.pipe(upstream);
      upstream.pipe(downstream);
      downstream.resume();
    });
    upstream.on('error', () => {
      if (upstream.connecting) info.setFlag('UF');
      close();
    });
    downstream.on('error', close);
    // Half-close is forwarded by pipe(); full close of either side ends the pair.
    upstream.on('close', close);
    downstream.on('close', close);
    if (this.config.idleTimeoutMs > 0) {
      downstream.setTimeout(this.config.idleTimeoutMs, () => {
        this.#stats.idle_timeout.inc();
        close();
      });
    }
  }

  close(): void {
    for (const s of this.#open) s.destroy();
  }
}
