// envoy.filters.http.fault: delays and aborts injected before routing, with independent
// probabilities, optional header and cluster conditions, and Envoy's stats, bodies and flags.
import { FAULT_TYPE } from '../../../envoy/index.ts';
import { headerMatcher } from '../../router/matchers.ts';
import type { HeaderTest } from '../../router/matchers.ts';
import { defineStats } from '../../stats/store.ts';
import type { Stat } from '../../stats/store.ts';
import type { Obj, Reader } from '../../xds/decode/read.ts';
import { durationMs, fraction, num, obj, objs, str, strs, wrapped } from '../../xds/decode/read.ts';
import type { HttpStream } from '../stream.ts';
import type { FilterStatus, HttpFilter, HttpFilterFactory } from './registry.ts';

export interface FaultConfig {
  readonly delayMs: number | undefined;
  /** Delay taken from the x-envoy-fault-delay-request header. */
  readonly headerDelay: boolean;
  readonly delayFraction: number;
  readonly abortStatus: number | undefined;
  readonly abortGrpcStatus: number | undefined;
  readonly headerAbort: boolean;
  readonly abortFraction: number;
  readonly upstreamCluster: string | undefined;
  readonly headers: readonly HeaderTest[];
  readonly downstreamNodes: readonly string[];
  readonly maxActiveFaults: number | undefined;
}

export const FAULT_ABORT_BODY = 'fault filter abort';

const FAULT_STATS = {
  counters: ['fault.delays_injected', 'fault.aborts_injected', 'fault.faults_overflow'],
  gauges: ['fault.active_faults'],
} as const;

function parse(r: Reader, c: Obj, path: string): FaultConfig {
  const delay = obj(c, 'delay');
  const abort = obj(c, 'abort');
  const httpStatus = abort && num(abort, 'httpStatus');
  if (httpStatus !== undefined && (httpStatus < 200 || httpStatus >= 600))
    r.fail(`${path}.abort.http_status`, `${httpStatus} is not in [200, 600)`);
  const delayMs = delay && durationMs(delay, 'fixedDelay');
  if (delay && delayMs === undefined && !obj(delay, 'headerDelay'))
    r.fail(`${path}.delay`, 'needs fixed_delay or header_delay');
  return {
    delayMs,
    headerDelay: delay !== undefined && obj(delay, 'headerDelay') !== undefined,
    delayFraction: delay ? fraction(obj(delay, 'percentage') ?? { numerator: 100 }) : 0,
    abortStatus: httpStatus,
    abortGrpcStatus: abort && num(abort, 'grpcStatus'),
    headerAbort: abort !== undefined && obj(abort, 'headerAbort') !== undefined,
    abortFraction: abort ? fraction(obj(abort, 'percentage') ?? { numerator: 100 }) : 0,
    upstreamCluster: str(c, 'upstreamCluster') || undefined,
    headers: objs(c, 'headers').map((h, i) => headerMatcher(r, h, `${path}.headers[${i}]`)),
    downstreamNodes: strs(c, 'downstreamNodes'),
    maxActiveFaults: wrapped(c, 'maxActiveFaults'),
  };
}

function headerNumber(stream: HttpStream, name: string): number | undefined {
  const v = stream.headers[name];
  const n = typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

type FaultStats = Record<
  (typeof FAULT_STATS)['counters'][number] | (typeof FAULT_STATS)['gauges'][number],
  Stat
>;

class FaultFilter implements HttpFilter {
  readonly #config: FaultConfig;
  readonly #stats: FaultStats;
  constructor(config: FaultConfig, stats: FaultStats) {
    this.#config = config;
    this.#stats = stats;
  }

  decodeHeaders(stream: HttpStream): FilterStatus | Promise<FilterStatus> {
    const c = stream.perFilterConfig<FaultConfig>(faultFilter.name) ?? this.#config;
    if (c.delayFraction === 0 && c.abortFraction === 0 && !c.headerDelay && !c.headerAbort) return 'continue';
    if (
      c.upstreamCluster &&
      stream.route?.action.kind === 'route' &&
      stream.route.action.cluster !== c.upstreamCluster
    )
      return 'continue';
    if (c.downstreamNodes.length) {
      const node = stream.headers['x-envoy-downstream-service-node'];
      if (typeof node !== 'string' || !c.downstreamNodes.includes(node)) return 'continue';
    }
    for (const h of c.headers) if (!h(stream.headers)) return 'continue';
    if (c.maxActiveFaults !== undefined && this.#stats['fault.active_faults'].value >= c.maxActiveFaults) {
      this.#stats['fault.faults_overflow'].inc();
      return 'continue';
    }
    let delay = c.headerDelay ? headerNumber(stream, 'x-envoy-fault-delay-request') : c.delayMs;
    if (delay !== undefined && !(Math.random() < c.delayFraction)) delay = undefined;
    if (delay !== undefined && delay > 0) {
      const active = this.#stats['fault.active_faults'];
      active.inc();
      this.#stats['fault.delays_injected'].inc();
      stream.info.setFlag('DI');
      return new Promise<FilterStatus>((resolve) => {
        const timer = setTimeout(() => {
          active.dec();
          resolve(this.#abort(stream, c) ? 'stop' : 'continue');
        }, delay);
        const onDownstreamClose = () => {
          clearTimeout(timer);
          active.dec();
          resolve('stop');
        };
        stream.onDownstreamClose = onDownstreamClose;
      });
    }
    return this.#abort(stream, c) ? 'stop' : 'continue';
  }

  /** Answers the request with the configured abort when its probability hits; true if it did. */
  #abort(stream: HttpStream, c: FaultConfig): boolean {
    const headerStatus = c.headerAbort ? headerNumber(stream, 'x-envoy-fault-abort-request') : undefined;
    const headerGrpc = c.headerAbort ? headerNumber(stream, 'x-envoy-fault-abort-grpc-request') : undefined;
    const status = headerStatus ?? c.abortStatus;
    const grpc = headerGrpc ?? c.abortGrpcStatus;
    if (status === undefined && grpc === undefined) return false;
    if (!(Math.random() < c.abortFraction)) return false;
    this.#stats['fault.aborts_injected'].inc();
    if (grpc !== undefined && status === undefined) {
      // gRPC abort: a trailers-only response, HTTP 200 with grpc-status.
      stream.info.setFlag('FI');
      stream.info.responseCodeDetails = 'fault_filter_abort';
      const headers = {
        'content-type': 'application/grpc',
        'grpc-status': String(grpc),
        'grpc-message': FAULT_ABORT_BODY,
      };
      stream.hcm.decorateResponse(stream, headers);
      stream.writeHead(200, headers);
      stream.res.end();
      return true;
    }
    stream.sendLocalReply(status!, FAULT_ABORT_BODY, 'FI', 'fault_filter_abort');
    return true;
  }
}

export const faultFilter: HttpFilterFactory<FaultConfig> = {
  name: 'envoy.filters.http.fault',
  typeUrls: [FAULT_TYPE],
  parse,
  parsePerRoute: parse,
  create: (config, scope) => new FaultFilter(config, defineStats(scope, FAULT_STATS)),
};
