// Envoy's retry policy (route or virtual host `retry_policy`, plus the x-envoy-max-retries and
// x-envoy-retry-on request headers): which outcomes are retried, how many times, the per-try
// timeout, the jittered exponential back-off and the previous-hosts predicate.
import type { IncomingHttpHeaders } from 'node:http';
import type { Obj, Reader } from '../xds/decode/read.ts';
import { durationMs, num, obj, objs, str, wrapped } from '../xds/decode/read.ts';

/** Conditions of `retry_on` Envoy knows (HTTP and gRPC). */
const HTTP_CONDITIONS = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
] as const;
const GRPC_CONDITIONS = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  internal: 13,
  unavailable: 14,
} as const;

export type RetryCondition = (typeof HTTP_CONDITIONS)[number] | keyof typeof GRPC_CONDITIONS;

export interface RetryPolicy {
  readonly retryOn: ReadonlySet<RetryCondition>;
  readonly numRetries: number;
  /** 0: no per-try timeout. */
  readonly perTryTimeoutMs: number;
  readonly retriableStatusCodes: ReadonlySet<number>;
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly previousHosts: boolean;
  readonly hostSelectionMaxAttempts: number;
}

const PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';
const DEFAULT_BASE_INTERVAL_MS = 25;

/** Parses a retry_on list; unknown names are ignored, as Envoy ignores them. */
export function parseRetryOn(text: string): Set<RetryCondition> {
  const out = new Set<RetryCondition>();
  for (const raw of text.split(',')) {
    const c = raw.trim();
    if ((HTTP_CONDITIONS as readonly string[]).includes(c) || c in GRPC_CONDITIONS)
      out.add(c as RetryCondition);
  }
  return out;
}

export function decodeRetryPolicy(r: Reader, o: Obj | undefined, path: string): RetryPolicy | undefined {
  if (!o) return undefined;
  const backOff = obj(o, 'retryBackOff');
  const base = (backOff && durationMs(backOff, 'baseInterval')) ?? DEFAULT_BASE_INTERVAL_MS;
  if (base <= 0) r.fail(`${path}.retry_back_off.base_interval`, 'must be greater than 0');
  const max = (backOff && durationMs(backOff, 'maxInterval')) ?? base * 10;
  if (max < base) r.fail(`${path}.retry_back_off.max_interval`, 'must not be less than base_interval');
  const codes = o.retriableStatusCodes;
  return {
    retryOn: parseRetryOn(str(o, 'retryOn') ?? ''),
    numRetries: wrapped(o, 'numRetries') ?? 1,
    perTryTimeoutMs: durationMs(o, 'perTryTimeout') ?? 0,
    retriableStatusCodes: new Set(Array.isArray(codes) ? codes.map(Number) : []),
    baseIntervalMs: base,
    maxIntervalMs: max,
    previousHosts: objs(o, 'retryHostPredicate').some((p) => str(p, 'name') === PREVIOUS_HOSTS),
    hostSelectionMaxAttempts: Math.max(1, num(o, 'hostSelectionRetryMaxAttempts') ?? 1),
  };
}

/** How an attempt ended before a response arrived, in Envoy's reset reasons. */
export type ResetReason =
  | 'connect-failure'
  | 'connect-timeout'
  | 'refused-stream'
  | 'remote-reset'
  | 'termination'
  | 'protocol-error'
  | 'per-try-timeout';

const ANY = new Set<RetryCondition>();

/** The policy of a route without one: nothing is retried (unless request headers ask for it). */
const NO_RETRIES: RetryPolicy = {
  retryOn: ANY,
  numRetries: 1,
  perTryTimeoutMs: 0,
  retriableStatusCodes: new Set(),
  baseIntervalMs: DEFAULT_BASE_INTERVAL_MS,
  maxIntervalMs: DEFAULT_BASE_INTERVAL_MS * 10,
  previousHosts: false,
  hostSelectionMaxAttempts: 1,
};

/** The retry decisions of one downstream request. */
export class RetryState {
  readonly policy: RetryPolicy;
  readonly #on: ReadonlySet<RetryCondition>;
  readonly #codes: ReadonlySet<number>;
  #remaining: number;
  #retries = 0;

  constructor(policy: RetryPolicy | undefined, headers: IncomingHttpHeaders) {
    this.policy = policy ?? NO_RETRIES;
    // Header conditions add to the route's (the connection manager removed them from untrusted callers).
    let on = this.policy.retryOn;
    let codes = this.policy.retriableStatusCodes;
    for (const name of ['x-envoy-retry-on', 'x-envoy-retry-grpc-on']) {
      const v = headers[name];
      if (typeof v === 'string') {
        const more = new Set(on);
        for (const c of parseRetryOn(v)) more.add(c);
        on = more;
      }
    }
    const extra = headers['x-envoy-retriable-status-codes'];
    if (typeof extra === 'string') {
      const more = new Set(codes);
      for (const c of extra.split(',')) if (/^\s*\d{3}\s*$/.test(c)) more.add(Number(c));
      codes = more;
    }
    this.#on = on;
    this.#codes = codes;
    const max = headers['x-envoy-max-retries'];
    const fromHeader = typeof max === 'string' && /^\d+$/.test(max) ? Number(max) : undefined;
    this.#remaining = fromHeader ?? this.policy.numRetries;
  }

  get enabled(): boolean {
    return this.#on.size > 0;
  }

  get retries(): number {
    return this.#retries;
  }

  /** Whether a response with these headers is one the policy retries. */
  retriableResponse(status: number, headers: Readonly<Record<string, unknown>>): boolean {
    const on = this.#on;
    if (on.has('5xx') && status >= 500) return true;
    if (on.has('gateway-error') && status >= 502 && status <= 504) return true;
    if (on.has('retriable-4xx') && status === 409) return true;
    if (on.has('retriable-status-codes') && this.#codes.has(status)) return true;
    if (on.has('envoy-ratelimited') && headers['x-envoy-ratelimited'] !== undefined) return true;
    const grpc = headers['grpc-status'];
    if (grpc !== undefined) {
      const code = Number(grpc);
      for (const [name, value] of Object.entries(GRPC_CONDITIONS))
        if (value === code && on.has(name as RetryCondition)) return true;
    }
    return false;
  }

  /** Whether an attempt that ended this way (no response) is one the policy retries. */
  retriableReset(reason: ResetReason): boolean {
    const on = this.#on;
    // A reset counts as a 5xx; a per-try timeout counts as a reset (Envoy's "read timeout").
    if (on.has('5xx') || on.has('gateway-error') || on.has('reset')) return true;
    if (reason === 'refused-stream' && on.has('refused-stream')) return true;
    if ((reason === 'connect-failure' || reason === 'connect-timeout') && on.has('connect-failure'))
      return true;
    return false;
  }

  /** Takes one retry from the budget; false once it is spent. */
  take(): boolean {
    if (this.#remaining <= 0) return false;
    this.#remaining--;
    this.#retries++;
    return true;
  }

  /**
   * Envoy's fully jittered exponential back-off before retry n: uniform in [0, (2^n − 1) × base),
   * capped at max; n stops growing once that range passes max.
   */
  backOffMs(random: () => number = Math.random): number {
    const { baseIntervalMs: base, maxIntervalMs: max } = this.policy;
    let n = 1;
    while (n < this.#retries && (2 ** n - 1) * base <= max) n++;
    return Math.min(Math.floor(random() * (2 ** n - 1) * base), max);
  }
}
