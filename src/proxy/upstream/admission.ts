// Circuit breaking at the connection pool, as Envoy's pools do it: max_requests bounds active
// requests; a request with no ready connection waits as pending, bounded by max_pending_requests;
// a pool at max_connections counts upstream_cx_overflow; max_retries (or a retry budget) bounds
// concurrent retries.
import type { Stat } from '../stats/store.ts';
import type { Cluster } from './cluster.ts';
import type { ConnectionPool } from './pool.ts';

/** A request admitted to a pool; `ready` ends its pending time, `release` its whole claim. */
export interface Admission {
  ready(): void;
  release(): void;
}

function freeConnections(pool: ConnectionPool): number {
  return pool.kind === 'h2' ? 1 : pool.free;
}

/**
 * Admits a request to `pool` (it counts in upstream_rq_active until released), or counts the
 * overflow and returns undefined (→ 503 UO).
 */
export function admitRequest(cluster: Cluster, pool: ConnectionPool): Admission | undefined {
  const { stats, config } = cluster;
  const limits = config.thresholds;
  if (stats.upstream_rq_active.value >= limits.maxRequests) {
    stats.upstream_rq_pending_overflow.inc();
    return undefined;
  }
  let pending = false;
  if (freeConnections(pool) === 0) {
    if (stats.upstream_rq_pending_active.value >= limits.maxPendingRequests) {
      stats.upstream_rq_pending_overflow.inc();
      return undefined;
    }
    pending = true;
    stats.upstream_rq_pending_total.inc();
    stats.upstream_rq_pending_active.inc();
    if (stats.upstream_cx_active.value >= limits.maxConnections) stats.upstream_cx_overflow.inc();
  }
  stats.upstream_rq_active.inc();
  refreshBreakers(cluster);
  let active = true;
  const ready = () => {
    if (!pending) return;
    pending = false;
    stats.upstream_rq_pending_active.dec();
    refreshBreakers(cluster);
  };
  const release = () => {
    ready();
    if (!active) return;
    active = false;
    stats.upstream_rq_active.dec();
    refreshBreakers(cluster);
  };
  return { ready, release };
}

/** Retries in flight per cluster name (keyed by its shared upstream_rq_retry counter). */
const activeRetries = new WeakMap<Stat, number>();

/** Claims a retry under max_retries; false (and upstream_rq_retry_overflow) when none is left. */
export function admitRetry(cluster: Cluster): (() => void) | undefined {
  const { stats } = cluster;
  const key = stats.upstream_rq_retry;
  const active = activeRetries.get(key) ?? 0;
  if (active >= retryLimit(cluster)) {
    stats.upstream_rq_retry_overflow.inc();
    return undefined;
  }
  activeRetries.set(key, active + 1);
  refreshBreakers(cluster);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    activeRetries.set(key, (activeRetries.get(key) ?? 1) - 1);
    refreshBreakers(cluster);
  };
}

/** max_retries, or what a retry budget allows: a share of the requests in flight, at least its minimum. */
function retryLimit(cluster: Cluster): number {
  const { stats, config } = cluster;
  const budget = config.thresholds.retryBudget;
  if (!budget) return config.thresholds.maxRetries;
  const inFlight = stats.upstream_rq_active.value + stats.upstream_rq_pending_active.value;
  return Math.max(budget.minConcurrency, Math.floor((inFlight * budget.percent) / 100));
}

/** Envoy's circuit_breakers.default.*_open gauges (1 at the limit) and, with track_remaining, remaining_*. */
export function refreshBreakers(cluster: Cluster): void {
  // Runs two or three times per request: no allocation, no stat names built here.
  const { stats, config } = cluster;
  const t = config.thresholds;
  const cx = stats.upstream_cx_active.value;
  const pending = stats.upstream_rq_pending_active.value;
  const rq = stats.upstream_rq_active.value;
  const retries = activeRetries.get(stats.upstream_rq_retry) ?? 0;
  const retryMax = retryLimit(cluster);
  stats['circuit_breakers.default.cx_open'].set(cx >= t.maxConnections ? 1 : 0);
  stats['circuit_breakers.default.rq_pending_open'].set(pending >= t.maxPendingRequests ? 1 : 0);
  stats['circuit_breakers.default.rq_open'].set(rq >= t.maxRequests ? 1 : 0);
  stats['circuit_breakers.default.rq_retry_open'].set(retries >= retryMax ? 1 : 0);
  if (!t.trackRemaining) return;
  stats.gauge('circuit_breakers.default.remaining_cx').set(Math.max(0, t.maxConnections - cx));
  stats.gauge('circuit_breakers.default.remaining_pending').set(Math.max(0, t.maxPendingRequests - pending));
  stats.gauge('circuit_breakers.default.remaining_rq').set(Math.max(0, t.maxRequests - rq));
  stats.gauge('circuit_breakers.default.remaining_retries').set(Math.max(0, retryMax - retries));
}
