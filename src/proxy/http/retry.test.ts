import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from '../xds/decode/read.ts';
import { decodeRetryPolicy, parseRetryOn, RetryState } from './retry.ts';

const r = new Reader('RouteConfiguration test');
const policy = (o: Record<string, unknown>) => decodeRetryPolicy(r, o, 'retry_policy')!;

test('back-off is fully jittered and exponential: [0, 25), [0, 75), [0, 175), then capped at 250 ms', () => {
  const state = new RetryState(policy({ retryOn: '5xx', numRetries: { value: 6 } }), {});
  const ceilings: number[] = [];
  for (let i = 0; i < 6; i++) {
    assert.ok(state.take());
    ceilings.push(state.backOffMs(() => 0.999999));
    assert.equal(
      state.backOffMs(() => 0),
      0,
    );
  }
  assert.deepEqual(ceilings, [24, 74, 174, 250, 250, 250]);
  assert.equal(state.take(), false);
});

test('retry_back_off base and max intervals; max defaults to 10 × base', () => {
  const p = policy({ retryOn: '5xx', retryBackOff: { baseInterval: { nanos: 100_000_000 } } });
  assert.equal(p.baseIntervalMs, 100);
  assert.equal(p.maxIntervalMs, 1000);
  assert.throws(
    () => policy({ retryBackOff: { baseInterval: { seconds: 1 }, maxInterval: { nanos: 5e8 } } }),
    /retry_back_off.max_interval/,
  );
});

test('retry_on conditions against responses and resets', () => {
  const state = (on: string, extra: Record<string, unknown> = {}) =>
    new RetryState(policy({ retryOn: on, ...extra }), {});
  assert.ok(state('5xx').retriableResponse(500, {}));
  assert.ok(!state('gateway-error').retriableResponse(500, {}));
  assert.ok(state('gateway-error').retriableResponse(504, {}));
  assert.ok(state('retriable-4xx').retriableResponse(409, {}));
  assert.ok(!state('retriable-4xx').retriableResponse(404, {}));
  assert.ok(state('retriable-status-codes', { retriableStatusCodes: [418] }).retriableResponse(418, {}));
  assert.ok(state('unavailable').retriableResponse(200, { 'grpc-status': '14' }));
  assert.ok(state('resource-exhausted').retriableResponse(200, { 'grpc-status': '8' }));
  assert.ok(!state('cancelled').retriableResponse(200, { 'grpc-status': '14' }));
  assert.ok(state('connect-failure').retriableReset('connect-failure'));
  assert.ok(!state('connect-failure').retriableReset('per-try-timeout'));
  assert.ok(state('reset').retriableReset('per-try-timeout'));
  assert.ok(state('refused-stream').retriableReset('refused-stream'));
  assert.deepEqual([...parseRetryOn('5xx, bogus ,internal')], ['5xx', 'internal']);
});

test('x-envoy-max-retries and x-envoy-retry-on headers extend the route policy', () => {
  const state = new RetryState(policy({ retryOn: 'connect-failure', numRetries: { value: 1 } }), {
    'x-envoy-retry-on': '5xx',
    'x-envoy-max-retries': '3',
  });
  assert.ok(state.retriableResponse(503, {}));
  assert.ok(state.take() && state.take() && state.take());
  assert.equal(state.take(), false);
});
