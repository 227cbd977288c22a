import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register } from '../register.ts';
import { StatsStore } from '../stats/store.ts';
import { decodeCluster } from '../xds/decode/cluster.ts';
import { admitRequest, admitRetry } from './admission.ts';
import { Cluster } from './cluster.ts';

register();

function cluster(thresholds: Record<string, unknown>): Cluster {
  const config = decodeCluster({
    name: 'c',
    type: 'STATIC',
    loadAssignment: {
      clusterName: 'c',
      endpoints: [
        {
          lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: 9 } } } }],
        },
      ],
    },
    circuitBreakers: { thresholds: [thresholds] },
  });
  return new Cluster(config, new StatsStore().cluster('c'), '1');
}

test('a request with no ready connection is pending; past max_pending_requests it overflows', () => {
  const c = cluster({ maxPendingRequests: { value: 1 }, maxConnections: { value: 1 } });
  const pool = c.pool(c.hosts[0]!);
  const first = admitRequest(c, pool);
  assert.ok(first);
  assert.equal(c.stats.upstream_rq_pending_active.value, 1);
  assert.equal(admitRequest(c, pool), undefined);
  assert.equal(c.stats.upstream_rq_pending_overflow.value, 1);
  first.ready();
  assert.equal(c.stats.upstream_rq_pending_active.value, 0);
  first.release();
  assert.equal(c.stats.upstream_rq_pending_active.value, 0, 'released once');
  c.close();
});

test('max_requests bounds active requests (counted as upstream_rq_pending_overflow, as Envoy does)', () => {
  const c = cluster({ maxRequests: { value: 2 } });
  c.stats.upstream_rq_active.set(2);
  assert.equal(admitRequest(c, c.pool(c.hosts[0]!)), undefined);
  assert.equal(c.stats.upstream_rq_pending_overflow.value, 1);
  c.close();
});

test('max_retries bounds concurrent retries; a retry budget replaces it', () => {
  const c = cluster({ maxRetries: { value: 1 } });
  const release = admitRetry(c);
  assert.ok(release);
  assert.equal(admitRetry(c), undefined);
  assert.equal(c.stats.upstream_rq_retry_overflow.value, 1);
  release();
  release();
  assert.ok(admitRetry(c));
  c.close();

  const b = cluster({
    maxRetries: { value: 0 },
    retryBudget: { budgetPercent: { value: 50 }, minRetryConcurrency: { value: 1 } },
  });
  b.stats.upstream_rq_active.set(4);
  const claims = [admitRetry(b), admitRetry(b)];
  assert.ok(claims.every(Boolean), '50 % of 4 active requests');
  assert.equal(admitRetry(b), undefined);
  b.close();
});
