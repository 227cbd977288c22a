import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from '../register.ts';
import { StatsStore } from '../stats/store.ts';
import { decodeCluster } from '../xds/decode/cluster.ts';
import { decodeLoadAssignment } from '../xds/decode/endpoint.ts';
import { Cluster } from './cluster.ts';

register();

function build(
  extra: Record<string, unknown>,
  endpoints: { port: number; zone: string; localityWeight?: number; priority?: number; health?: string }[],
): Cluster {
  const config = decodeCluster({
    name: 'c',
    type: 'EDS',
    edsClusterConfig: { edsConfig: { ads: {} } },
    ...extra,
  });
  const cluster = new Cluster(config, new StatsStore().cluster('c'), '1');
  const groups = new Map<string, typeof endpoints>();
  for (const e of endpoints)
    groups.set(`${e.zone}/${e.priority ?? 0}`, [...(groups.get(`${e.zone}/${e.priority ?? 0}`) ?? []), e]);
  cluster.setEndpoints(
    decodeLoadAssignment({
      clusterName: 'c',
      endpoints: [...groups.values()].map((g) => ({
        locality: { zone: g[0]!.zone },
        priority: g[0]!.priority ?? 0,
        loadBalancingWeight: { value: g[0]!.localityWeight ?? 1 },
        lbEndpoints: g.map((e) => ({
          endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: e.port } } },
          healthStatus: e.health ?? 'HEALTHY',
        })),
      })),
    }),
  );
  return cluster;
}

function ports(c: Cluster, n: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const p = c.chooseHost(undefined)!.port;
    out.set(p, (out.get(p) ?? 0) + 1);
  }
  return out;
}

test('locality-weighted balancing picks localities by their weight', () => {
  const c = build({ commonLbConfig: { localityWeightedLbConfig: {} } }, [
    { port: 1, zone: 'a', localityWeight: 1 },
    { port: 2, zone: 'b', localityWeight: 3 },
  ]);
  const share = (ports(c, 4000).get(2) ?? 0) / 4000;
  assert.ok(share > 0.7 && share < 0.8, `zone b got ${share}`);
});

test('priorities: traffic stays on priority 0 while it has healthy hosts, then fails over', () => {
  const c = build({}, [
    { port: 1, zone: 'a', priority: 0 },
    { port: 2, zone: 'b', priority: 1 },
  ]);
  assert.deepEqual([...ports(c, 50).keys()], [1]);
  const down = build({ commonLbConfig: { healthyPanicThreshold: { value: 0 } } }, [
    { port: 1, zone: 'a', priority: 0, health: 'UNHEALTHY' },
    { port: 2, zone: 'b', priority: 1 },
  ]);
  assert.deepEqual([...ports(down, 50).keys()], [2]);
});

test('ejected hosts are skipped until their ejection ends', () => {
  const c = build({}, [
    { port: 1, zone: 'a' },
    { port: 2, zone: 'a' },
    { port: 3, zone: 'a' },
  ]);
  const host = c.hosts.find((h) => h.port === 1)!;
  host.ejectedUntil = Date.now() + 60_000;
  c.invalidate();
  assert.ok(!ports(c, 60).has(1));
  assert.equal(host.healthFlags(), '/failed_outlier_check');
  host.ejectedUntil = 0;
  c.invalidate();
  assert.ok(ports(c, 60).has(1));
});
