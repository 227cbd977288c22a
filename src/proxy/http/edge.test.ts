import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { HcmConfig } from '../xds/decode/hcm.ts';
import { endToEndHeaders, internalAddresses, sanitizeRequest } from './edge.ts';

const base = {
  useRemoteAddress: false,
  skipXffAppend: false,
  generateRequestId: true,
  preserveExternalRequestId: false,
} as HcmConfig;

test('at the edge (use_remote_address) XFF gets the peer, x-envoy-* from external clients is dropped and the request id regenerated', () => {
  const edge = { ...base, useRemoteAddress: true } as HcmConfig;
  const headers: IncomingHttpHeaders = {
    'x-forwarded-for': '1.2.3.4',
    'x-envoy-upstream-rq-timeout-ms': '1',
    'x-envoy-retry-on': '5xx',
    'x-request-id': 'from-outside',
    'x-forwarded-proto': 'https',
  };
  const trusted = sanitizeRequest(edge, internalAddresses(undefined), headers, '203.0.113.9', 'http');
  assert.equal(trusted, false);
  assert.equal(headers['x-forwarded-for'], '1.2.3.4,203.0.113.9');
  assert.equal(headers['x-envoy-upstream-rq-timeout-ms'], undefined);
  assert.equal(headers['x-envoy-retry-on'], undefined);
  assert.equal(headers['x-envoy-external-address'], '203.0.113.9');
  assert.equal(headers['x-forwarded-proto'], 'http');
  assert.notEqual(headers['x-request-id'], 'from-outside');
});

test('internal peers (internal_address_config) keep their x-envoy-* headers and request id', () => {
  const edge = { ...base, useRemoteAddress: true } as HcmConfig;
  const headers: IncomingHttpHeaders = { 'x-envoy-retry-on': '5xx', 'x-request-id': 'inside' };
  const internal = internalAddresses([{ prefix: '10.0.0.0', length: 8 }]);
  assert.equal(sanitizeRequest(edge, internal, headers, '10.1.2.3', 'http'), true);
  assert.equal(headers['x-envoy-retry-on'], '5xx');
  assert.equal(headers['x-envoy-internal'], 'true');
  assert.equal(headers['x-request-id'], 'inside');
});

test('sidecar hops (no use_remote_address) leave XFF alone and keep x-forwarded-proto', () => {
  const headers: IncomingHttpHeaders = { 'x-forwarded-proto': 'https' };
  sanitizeRequest(base, internalAddresses(undefined), headers, '127.0.0.1', 'http');
  assert.equal(headers['x-forwarded-for'], undefined);
  assert.equal(headers['x-forwarded-proto'], 'https');
  assert.match(String(headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('hop-by-hop headers, the ones Connection names and the dropped ones are left out; te keeps only trailers', () => {
  const h: IncomingHttpHeaders = {
    connection: 'close, X-Private',
    'x-private': '1',
    'keep-alive': 'timeout=5',
    upgrade: 'h2c',
    te: 'trailers, deflate',
    'transfer-encoding': 'chunked',
    'x-envoy-max-retries': '3',
    ok: 'yes',
    'set-cookie': ['a=1', 'b=2'],
  };
  const copy = { ...h };
  assert.deepEqual(endToEndHeaders(h, new Set(['x-envoy-max-retries'])), {
    te: 'trailers',
    ok: 'yes',
    'set-cookie': ['a=1', 'b=2'],
  });
  assert.deepEqual(h, copy, 'the input is left as it was');
  assert.deepEqual(endToEndHeaders({ te: 'gzip', connection: 'keep-alive', a: undefined }), {});
});
