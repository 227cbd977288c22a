// Envoy's outlier detection (consecutive 5xx, consecutive gateway failures, consecutive local-origin
// failures): a host is ejected as soon as it crosses a threshold, for base_ejection_time × its number
// of ejections (capped by max_ejection_time), and returns at the first interval sweep after that.
import type { Obj, Reader } from '../xds/decode/read.ts';
import { bool, durationMs, wrapped } from '../xds/decode/read.ts';
import { defineStats } from '../stats/store.ts';
import type { Scope, Stat } from '../stats/store.ts';
import type { Host } from './host.ts';

export interface OutlierConfig {
  readonly consecutive5xx: number;
  readonly enforcing5xx: number;
  readonly consecutiveGateway: number;
  readonly enforcingGateway: number;
  readonly consecutiveLocal: number;
  readonly enforcingLocal: number;
  readonly splitLocalOrigin: boolean;
  readonly intervalMs: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
}

/** Envoy's defaults for an outlier_detection message with fields left out. */
export function decodeOutlier(r: Reader, o: Obj | undefined): OutlierConfig | undefined {
  if (!o) return undefined;
  const percent = (key: string, def: number) => {
    const v = wrapped(o, key) ?? def;
    if (v > 100) r.fail(`outlier_detection.${key}`, `${v} is more than 100`);
    return v;
  };
  const intervalMs = durationMs(o, 'interval') ?? 10_000;
  if (intervalMs <= 0) r.fail('outlier_detection.interval', 'must be greater than 0');
  const baseEjectionMs = durationMs(o, 'baseEjectionTime') ?? 30_000;
  return {
    consecutive5xx: wrapped(o, 'consecutive_5xx') ?? 5,
    enforcing5xx: percent('enforcingConsecutive_5xx', 100),
    consecutiveGateway: wrapped(o, 'consecutiveGatewayFailure') ?? 5,
    enforcingGateway: percent('enforcingConsecutiveGatewayFailure', 0),
    consecutiveLocal: wrapped(o, 'consecutiveLocalOriginFailure') ?? 5,
    enforcingLocal: percent('enforcingConsecutiveLocalOriginFailure', 100),
    splitLocalOrigin: bool(o, 'splitExternalLocalOriginErrors') ?? false,
    intervalMs,
    baseEjectionMs,
    maxEjectionMs: Math.max(durationMs(o, 'maxEjectionTime') ?? 300_000, baseEjectionMs),
    maxEjectionPercent: percent('maxEjectionPercent', 10),
  };
}

const OUTLIER_STATS = {
  counters: [
    'outlier_detection.ejections_enforced_total',
    'outlier_detection.ejections_overflow',
    'outlier_detection.ejections_total',
    'outlier_detection.ejections_consecutive_5xx',
    'outlier_detection.ejections_detected_consecutive_5xx',
    'outlier_detection.ejections_enforced_consecutive_5xx',
    'outlier_detection.ejections_detected_consecutive_gateway_failure',
    'outlier_detection.ejections_enforced_consecutive_gateway_failure',
    'outlier_detection.ejections_detected_consecutive_local_origin_failure',
    'outlier_detection.ejections_enforced_consecutive_local_origin_failure',
  ],
  gauges: ['outlier_detection.ejections_active'],
} as const;

type OutlierStats = Record<
  (typeof OUTLIER_STATS)['counters'][number] | (typeof OUTLIER_STATS)['gauges'][number],
  Stat
>;

type EjectionType = 'consecutive_5xx' | 'consecutive_gateway_failure' | 'consecutive_local_origin_failure';

/** What the router learnt about a host from one attempt. */
export type OutlierResult =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'connect-success' }
  | { readonly kind: 'connect-failure' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'reset' };

/** Per-host counters of the detector. */
export interface OutlierHostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocal: number;
  ejections: number;
  lastEjection: number;
  lastUnejection: number | undefined;
}

export class OutlierDetector {
  readonly config: OutlierConfig;
  readonly stats: OutlierStats;
  readonly #hosts: () => readonly Host[];
  readonly #changed: () => void;
  readonly #timer: NodeJS.Timeout;

  /** `changed` is called when a host leaves or rejoins the healthy set. */
  constructor(config: OutlierConfig, scope: Scope, hosts: () => readonly Host[], changed: () => void) {
    this.config = config;
    this.stats = defineStats(scope, OUTLIER_STATS);
    this.#hosts = hosts;
    this.#changed = changed;
    this.#timer = setInterval(() => this.sweep(), config.intervalMs);
    this.#timer.unref();
  }

  #of(host: Host): OutlierHostState {
    let s = host.outlier;
    if (!s) {
      s = {
        consecutive5xx: 0,
        consecutiveGateway: 0,
        consecutiveLocal: 0,
        ejections: 0,
        lastEjection: 0,
        lastUnejection: undefined,
      };
      host.outlier = s;
    }
    return s;
  }

  /** Counts one outcome; local-origin outcomes become 503/504 unless split from external ones. */
  report(host: Host, result: OutlierResult): void {
    const s = this.#of(host);
    switch (result.kind) {
      case 'status':
        return this.#httpCode(host, s, result.status);
      case 'connect-success':
        if (this.config.splitLocalOrigin) s.consecutiveLocal = 0;
        return;
      default:
        if (!this.config.splitLocalOrigin)
          return this.#httpCode(host, s, result.kind === 'timeout' ? 504 : 503);
        if (++s.consecutiveLocal === this.config.consecutiveLocal) {
          s.consecutiveLocal = 0;
          this.#detected(host, 'consecutive_local_origin_failure', this.config.enforcingLocal);
        }
    }
  }

  #httpCode(host: Host, s: OutlierHostState, status: number): void {
    if (status < 500) {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return;
    }
    if (status >= 502 && status <= 504) {
      if (++s.consecutiveGateway === this.config.consecutiveGateway) {
        s.consecutiveGateway = 0;
        this.#detected(host, 'consecutive_gateway_failure', this.config.enforcingGateway);
      }
    } else s.consecutiveGateway = 0;
    if (++s.consecutive5xx === this.config.consecutive5xx) {
      s.consecutive5xx = 0;
      this.#detected(host, 'consecutive_5xx', this.config.enforcing5xx);
    }
  }

  #detected(host: Host, type: EjectionType, enforcing: number): void {
    if (host.ejectedUntil > 0) return;
    const stats = this.stats;
    stats[`outlier_detection.ejections_detected_${type}`].inc();
    const active = stats['outlier_detection.ejections_active'];
    const total = this.#hosts().length;
    if (total === 0 || (100 * (active.value + 1)) / total > this.config.maxEjectionPercent) {
      stats['outlier_detection.ejections_overflow'].inc();
      return;
    }
    if (type === 'consecutive_5xx') {
      stats['outlier_detection.ejections_total'].inc();
      stats['outlier_detection.ejections_consecutive_5xx'].inc();
    }
    if (!(Math.random() * 100 < enforcing)) return;
    const s = this.#of(host);
    s.ejections++;
    s.lastEjection = Date.now();
    host.ejectedUntil =
      s.lastEjection + Math.min(this.config.baseEjectionMs * s.ejections, this.config.maxEjectionMs);
    active.inc();
    stats['outlier_detection.ejections_enforced_total'].inc();
    stats[`outlier_detection.ejections_enforced_${type}`].inc();
    this.#changed();
  }

  /** The interval sweep: ejected hosts whose time is up return; long-healthy hosts earn back ejections. */
  sweep(now = Date.now()): void {
    let changed = false;
    for (const host of this.#hosts()) {
      const s = this.#of(host);
      if (host.ejectedUntil === 0) {
        if (
          s.ejections > 0 &&
          s.lastUnejection !== undefined &&
          now - s.lastUnejection >= this.config.baseEjectionMs
        ) {
          s.ejections--;
          s.lastUnejection = now;
        }
        continue;
      }
      if (now < host.ejectedUntil) continue;
      host.ejectedUntil = 0;
      s.lastUnejection = now;
      this.stats['outlier_detection.ejections_active'].dec();
      changed = true;
    }
    if (changed) this.#changed();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
