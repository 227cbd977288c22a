// The stats table of an upstream cluster (Envoy's cluster.<name>.* names).
import { defineStats } from '../stats/store.ts';
import type { Scope, Stat } from '../stats/store.ts';

export const CLUSTER_STATS = {
  counters: [
    'upstream_cx_total',
    'upstream_cx_connect_fail',
    'upstream_cx_connect_timeout',
    'upstream_cx_destroy',
    'upstream_cx_overflow',
    'upstream_cx_none_healthy',
    'upstream_rq_total',
    'upstream_rq_completed',
    'upstream_rq_pending_total',
    'upstream_rq_pending_overflow',
    'upstream_rq_pending_failure_eject',
    'upstream_rq_timeout',
    'upstream_rq_retry',
    'upstream_rq_retry_success',
    'upstream_rq_retry_overflow',
    'upstream_rq_retry_limit_exceeded',
    'upstream_rq_retry_backoff_exponential',
    'upstream_rq_per_try_timeout',
    'upstream_rq_cancelled',
    'upstream_rq_maintenance_mode',
    'upstream_rq_rx_reset',
    'upstream_rq_tx_reset',
    'upstream_cx_rx_bytes_total',
    'upstream_cx_tx_bytes_total',
    'membership_change',
    'update_success',
    'update_rejected',
    'update_empty',
  ],
  gauges: [
    'upstream_cx_active',
    'upstream_rq_active',
    'upstream_rq_pending_active',
    'circuit_breakers.default.cx_open',
    'circuit_breakers.default.cx_pool_open',
    'circuit_breakers.default.rq_pending_open',
    'circuit_breakers.default.rq_open',
    'circuit_breakers.default.rq_retry_open',
    'circuit_breakers.high.cx_open',
    'circuit_breakers.high.cx_pool_open',
    'circuit_breakers.high.rq_pending_open',
    'circuit_breakers.high.rq_open',
    'circuit_breakers.high.rq_retry_open',
    'membership_healthy',
    'membership_degraded',
    'membership_total',
    'max_host_weight',
  ],
} as const;

type Names = (typeof CLUSTER_STATS)['counters'][number] | (typeof CLUSTER_STATS)['gauges'][number];

export type ClusterStats = Record<Names, Stat> & {
  /** upstream_rq_<code> and upstream_rq_<class>xx, created on first use. */
  code(status: number): void;
  /** A gauge created on demand (circuit_breakers.<priority>.remaining_*). */
  gauge(local: string): Stat;
};

export function clusterStats(scope: Scope): ClusterStats {
  const base = defineStats(scope, CLUSTER_STATS);
  const codes = new Map<number, Stat>();
  const gauges = new Map<string, Stat>();
  const classes: Stat[] = [];
  return Object.assign(base, {
    // Called per request for the remaining_* gauges: looked up by name once.
    gauge: (local: string) => {
      let g = gauges.get(local);
      if (!g) gauges.set(local, (g = scope.gauge(local)));
      return g;
    },
    code(status: number) {
      let c = codes.get(status);
      if (!c) {
        c = scope.counter(`upstream_rq_${status}`);
        codes.set(status, c);
      }
      c.inc();
      const k = Math.floor(status / 100);
      (classes[k] ??= scope.counter(`upstream_rq_${k}xx`)).inc();
    },
  });
}
