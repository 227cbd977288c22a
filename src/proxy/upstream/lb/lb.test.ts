import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../host.ts';
import { hash32 } from '../hash.ts';
import { leastRequest, random, roundRobin } from './basic.ts';
import { maglev, ringHash } from './hashing.ts';
import type { LoadBalancer } from './types.ts';

function hosts(n: number, weights: number[] = []): Host[] {
  return Array.from(
    { length: n },
    (_, i) => new Host({ host: `10.0.0.${i + 1}`, port: 80, weight: weights[i] ?? 1 }),
  );
}

function counts(lb: LoadBalancer, n: number, hash?: (i: number) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const h = lb.choose(hash?.(i))!;
    out.set(h.address, (out.get(h.address) ?? 0) + 1);
  }
  return out;
}

test('round robin visits every host in turn; weighted round robin follows the weights exactly', () => {
  const even = counts(roundRobin(hosts(3)), 300);
  assert.deepEqual([...even.values()], [100, 100, 100]);
  const weighted = counts(roundRobin(hosts(3, [1, 2, 5])), 800);
  assert.equal(weighted.get('10.0.0.1:80'), 100);
  assert.equal(weighted.get('10.0.0.2:80'), 200);
  assert.equal(weighted.get('10.0.0.3:80'), 500);
  assert.equal(roundRobin([]).choose(undefined), undefined);
});

test('least request (power of two choices) avoids the busiest host', () => {
  const hs = hosts(2);
  hs[0]!.activeRequests = 10;
  const c = counts(leastRequest(hs, 2), 1000);
  // The busy host only wins when both random picks land on it (~25%).
  const busy = c.get('10.0.0.1:80') ?? 0;
  assert.ok(busy > 150 && busy < 350, `busy host picked ${busy} times`);
  hs[0]!.activeRequests = 0;
  const choose5 = counts(
    leastRequest(
      hosts(4).map((h, i) => Object.assign(h, { activeRequests: i === 3 ? 0 : 5 })),
      5,
    ),
    1000,
  );
  assert.ok((choose5.get('10.0.0.4:80') ?? 0) > 600, 'more choices find the idle host more often');
});

test('random spreads requests over all hosts', () => {
  const c = counts(random(hosts(4)), 4000);
  for (const v of c.values()) assert.ok(v > 800 && v < 1200, `${v}`);
});

for (const [name, build] of [
  ['ring hash', (hs: Host[]) => ringHash(hs, 1024, 8 * 1024 * 1024)],
  ['maglev', (hs: Host[]) => maglev(hs, 65537)],
] as const) {
  test(`${name}: the same hash always picks the same host, and removing a host moves only its share`, () => {
    const hs = hosts(5);
    const lb = build(hs);
    const keys = Array.from({ length: 2000 }, (_, i) => hash32(`user-${i}`));
    const first = keys.map((k) => lb.choose(k)!.address);
    assert.deepEqual(
      keys.map((k) => lb.choose(k)!.address),
      first,
    );
    const spread = new Map<string, number>();
    for (const a of first) spread.set(a, (spread.get(a) ?? 0) + 1);
    for (const v of spread.values()) assert.ok(v > 200 && v < 650, `uneven spread ${[...spread.values()]}`);
    const fewer = build(hs.slice(0, 4));
    let moved = 0;
    keys.forEach((k, i) => {
      if (first[i] !== '10.0.0.5:80' && fewer.choose(k)!.address !== first[i]) moved++;
    });
    // Ring hash re-scales each host's share of the ring, so a little churn among the rest is expected.
    assert.ok(moved / keys.length < 0.2, `${moved} keys moved between remaining hosts`);
  });
}

test('ring hash and maglev honour endpoint weights', () => {
  for (const lb of [ringHash(hosts(2, [1, 3]), 1024, 1 << 23), maglev(hosts(2, [1, 3]), 65537)]) {
    const c = counts(lb, 8000, (i) => hash32(`k${i}`));
    const heavy = (c.get('10.0.0.2:80') ?? 0) / 8000;
    assert.ok(heavy > 0.68 && heavy < 0.82, `heavy share ${heavy}`);
  }
});
