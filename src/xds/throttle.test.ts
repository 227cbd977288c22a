// The push throttle: permits bound the pushes being generated and written (not the answers
// awaited), and push work runs one task at a time, letting I/O through between slices of it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CLUSTER_TYPE } from '../envoy/index.ts';
import { ServiceRegistry } from '../registry/index.ts';
import { AdsClient } from './fixtures/ads-client.ts';
import type { MemoryStore } from '../config/index.ts';
import { addPod, applyYaml, node, reviewsSubsets, storeWith } from './fixtures/harness.ts';
import { DEFAULT_MESH } from './push-context.ts';
import { DiscoveryServer } from './server.ts';
import { SLICE_MS, Throttle } from './throttle.ts';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('tasks run one at a time in order; after a slice of work, waiting I/O goes first', async () => {
  const throttle = new Throttle(10, 1000);
  const order: string[] = [];
  const task = (name: string, ms: number) => () =>
    throttle.exclusive(async () => {
      order.push(`${name} start`);
      busy(ms);
      await Promise.resolve();
      order.push(`${name} end`);
    });
  // Let a first slice begin, then queue: a long task, an I/O callback, two short tasks.
  await throttle.exclusive(() => undefined);
  const done = Promise.all([task('long', SLICE_MS * 2)(), task('short-1', 0)(), task('short-2', 0)()]);
  setImmediate(() => order.push('io'));
  await done;
  assert.deepEqual(order, [
    'long start',
    'long end',
    'io',
    'short-1 start',
    'short-1 end',
    'short-2 start',
    'short-2 end',
  ]);
});

let server: DiscoveryServer;
let config: MemoryStore;
let port: number;
const clients: AdsClient[] = [];

before(async () => {
  const registry = new ServiceRegistry();
  config = await storeWith(readFileSync(new URL('./fixtures/bookinfo.yaml', import.meta.url), 'utf8'));
  // One push at a time for the whole server.
  server = new DiscoveryServer({ registry, config, mesh: DEFAULT_MESH, debounceMs: 10, maxInFlight: 1 });
  port = await server.listen('127.0.0.1:0');
  addPod(registry, { name: 'productpage-v1-0', ip: '127.1.0.2', labels: { app: 'productpage' } });
  addPod(registry, { name: 'reviews-v1-0', ip: '127.1.0.3', labels: { app: 'reviews', version: 'v1' } });
  await server.settle();
});

after(async () => {
  for (const c of clients) c.close();
  await server.close();
});

// Were the permit held until the ACK, the second proxy would wait for the first one's permit to
// time out (5 s): the test's own timeout is shorter.
test('a proxy that never answers does not hold the push permit from others', { timeout: 3000 }, async () => {
  const silent = new AdsClient(port, node('sidecar', '127.1.0.2', 'productpage-v1-0'));
  const other = new AdsClient(port, node('sidecar', '127.1.0.3', 'reviews-v1-0'));
  clients.push(silent, other);
  silent.request(CLUSTER_TYPE);
  await silent.next(CLUSTER_TYPE);
  other.request(CLUSTER_TYPE);
  const cds = await other.next(CLUSTER_TYPE);
  assert.ok(other.names(cds).length > 0);
  // And a push reaches both, the silent one still not having answered its first response.
  const n = [silent.received.length, other.received.length];
  await applyYaml(config, reviewsSubsets('v1'));
  await Promise.all([silent.next(CLUSTER_TYPE, n[0]), other.next(CLUSTER_TYPE, n[1])]);
});
