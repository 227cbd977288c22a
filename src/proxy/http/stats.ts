// Stats tables of the HTTP connection manager (http.<stat_prefix>.*) and of listeners (listener.<addr>.*).
import { defineStats } from '../stats/store.ts';
import type { Scope, Stat } from '../stats/store.ts';

export const HTTP_STATS = {
  counters: [
    'downstream_cx_total',
    'downstream_cx_http1_total',
    'downstream_cx_http2_total',
    'downstream_cx_destroy',
    'downstream_cx_protocol_error',
    'downstream_cx_drain_close',
    'downstream_rq_total',
    'downstream_rq_http1_total',
    'downstream_rq_http2_total',
    'downstream_rq_completed',
    'downstream_rq_rx_reset',
    'downstream_rq_tx_reset',
    'downstream_rq_timeout',
    'downstream_rq_idle_timeout',
    'downstream_rq_ws_on_non_ws_route',
    'downstream_rq_1xx',
    'downstream_rq_2xx',
    'downstream_rq_3xx',
    'downstream_rq_4xx',
    'downstream_rq_5xx',
    'no_route',
    'no_cluster',
    'rq_direct_response',
    'rq_redirect',
  ],
  gauges: ['downstream_cx_active', 'downstream_rq_active'],
} as const;

export type HttpStats = Record<
  (typeof HTTP_STATS)['counters'][number] | (typeof HTTP_STATS)['gauges'][number],
  Stat
>;

export function httpStats(scope: Scope): HttpStats {
  return defineStats(scope, HTTP_STATS);
}

const CLASS_STATS = [
  'downstream_rq_1xx',
  'downstream_rq_1xx',
  'downstream_rq_2xx',
  'downstream_rq_3xx',
  'downstream_rq_4xx',
  'downstream_rq_5xx',
] as const;

export function countResponse(stats: HttpStats, status: number): void {
  const k = Math.floor(status / 100);
  if (k >= 1 && k <= 5) stats[CLASS_STATS[k]!].inc();
}

export const LISTENER_STATS = {
  counters: [
    'downstream_cx_total',
    'downstream_cx_destroy',
    'no_filter_chain_match',
    'downstream_listener_filter_error',
  ],
  gauges: ['downstream_cx_active'],
} as const;

export type ListenerStats = Record<
  (typeof LISTENER_STATS)['counters'][number] | (typeof LISTENER_STATS)['gauges'][number],
  Stat
>;

export function listenerStats(scope: Scope): ListenerStats {
  return defineStats(scope, LISTENER_STATS);
}
