import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, envoyRoot, LISTENER_TYPE, ROUTE_TYPE } from '../envoy/index.ts';
import type { MemoryStore } from '../config/index.ts';
import type { ControlPlane, NodeInfo } from './index.ts';
import { GENERATORS } from './index.ts';
import { encodeDeltaResponse, messageOf } from './wire.ts';
import { DeltaClient } from './fixtures/delta-client.ts';
import { addPod, applyYaml, bookinfoControlPlane, node } from './fixtures/harness.ts';

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';
const DETAILS = 'outbound|9080||details.default.svc.cluster.local';

let cp: ControlPlane;
let config: MemoryStore;
const clients: DeltaClient[] = [];

function client(pod: string, ip: string): DeltaClient {
  const c = new DeltaClient(cp.xdsPort, node('sidecar', ip, pod));
  clients.push(c);
  return c;
}

type Row = Record<string, unknown>;

async function json(path: string): Promise<unknown> {
  return (await fetch(`http://127.0.0.1:${cp.monitoringPort}${path}`)).json();
}

async function statusOf(id: string): Promise<Row> {
  await cp.server.settle();
  const row = ((await json('/debug/syncz')) as Row[]).find((r) => r.proxy === id);
  assert.ok(row, `proxy ${id} in syncz`);
  return row;
}

/** Waits until the server has handled everything sent so far, then says whether `c` got more. */
async function quiet(c: DeltaClient, count: number): Promise<boolean> {
  await sleep(60);
  await cp.server.settle();
  return c.received.length === count;
}

function destinationRule(host: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${host}
spec:
  host: ${host}
  subsets:
  - name: v1
    labels:
      version: v1
`;
}

before(async () => {
  ({ config, cp } = await bookinfoControlPlane(10));
});

after(async () => {
  for (const c of clients) c.close();
  await cp.close();
});

test('delta: wildcard CDS and EDS by name with per-resource versions; ACKs show SYNCED in proxy status', async () => {
  const c = client('productpage-v1-0', '127.1.0.2');
  c.request(CLUSTER_TYPE);
  const cds = await c.next(CLUSTER_TYPE);
  assert.ok(c.names(cds).includes(REVIEWS) && c.names(cds).includes('PassthroughCluster'));
  for (const r of cds.resources ?? []) assert.match(r.version, /^\S{8,}$/, `${r.name} has a version`);
  assert.equal((cds.resources ?? []).find((r) => r.name === REVIEWS)?.resource.name, REVIEWS);
  assert.deepEqual(cds.removedResources ?? [], []);
  c.request(CLUSTER_TYPE, { ack: cds });
  c.request(ENDPOINT_TYPE, { subscribe: [REVIEWS] });
  const eds = await c.next(ENDPOINT_TYPE);
  assert.deepEqual(c.names(eds), [REVIEWS]);
  c.request(ENDPOINT_TYPE, { ack: eds });
  const row = await statusOf(c.node.id!);
  assert.equal(row.CDS, 'SYNCED');
  assert.equal(row.EDS, 'SYNCED');
  assert.equal(row.LDS, 'NOT SENT');
  assert.equal(row.cluster_acked_version, cds.systemVersionInfo);
  const dump = (await json('/debug/config_dump?proxyID=productpage-v1-0.default')) as { configs: Row[] };
  const clusters = (dump.configs[0]!.dynamicActiveClusters as { cluster: Row }[]).map((x) => x.cluster.name);
  assert.deepEqual(clusters.sort(), c.names(cds));
  const endpoints = dump.configs[3]!.dynamicEndpointConfigs as { endpointConfig: Row }[];
  assert.deepEqual(
    endpoints.map((x) => x.endpointConfig.clusterName),
    [REVIEWS],
  );
  c.close();
});

test('delta: subscribe adds only the new names, unknown names come back removed, unsubscribe stops pushes', async () => {
  const c = client('reviews-v1-0', '127.1.0.3');
  c.request(ENDPOINT_TYPE, { subscribe: [REVIEWS] });
  const first = await c.next(ENDPOINT_TYPE);
  assert.deepEqual(c.names(first), [REVIEWS]);
  c.request(ENDPOINT_TYPE, { ack: first });
  c.request(ENDPOINT_TYPE, { subscribe: [RATINGS] });
  const second = await c.next(ENDPOINT_TYPE, c.received.length);
  assert.deepEqual(c.names(second), [RATINGS], 'the names already held are not sent again');
  c.request(ENDPOINT_TYPE, { ack: second });
  c.request(ROUTE_TYPE, { subscribe: ['http_proxy', 'no-such-route'] });
  const routes = await c.next(ROUTE_TYPE, c.received.length);
  assert.deepEqual(c.names(routes), ['http_proxy']);
  assert.deepEqual(routes.removedResources, ['no-such-route']);
  c.request(ROUTE_TYPE, { ack: routes });
  // Unsubscribed: a change to reviews' endpoints no longer reaches this proxy.
  c.request(ENDPOINT_TYPE, { unsubscribe: [REVIEWS] });
  assert.ok(await quiet(c, c.received.length), 'an unsubscribe is not answered');
  const n = c.received.length;
  addPod(cp.registry, { name: 'reviews-v2-0', ip: '127.1.0.4', labels: { app: 'reviews', version: 'v2' } });
  assert.ok(await quiet(c, n), 'no push for an unsubscribed cluster');
  addPod(cp.registry, { name: 'ratings-v2-0', ip: '127.1.0.7', labels: { app: 'ratings', version: 'v2' } });
  const pushed = await c.next(ENDPOINT_TYPE, n);
  assert.deepEqual(c.names(pushed), [RATINGS]);
  const version = (r: typeof pushed) => r.resources?.find((x) => x.name === RATINGS)?.version;
  assert.notEqual(version(pushed), version(second), 'a changed assignment has a new version');
  c.request(ENDPOINT_TYPE, { ack: pushed });
  assert.equal((await statusOf(c.node.id!)).EDS, 'SYNCED');
  c.close();
});

test('delta: a NACK is recorded and the rejected resources are sent again with the next change', async () => {
  const c = client('ratings-v1-0', '127.1.0.6');
  c.request(CLUSTER_TYPE);
  const all = await c.next(CLUSTER_TYPE);
  c.request(CLUSTER_TYPE, { ack: all });
  await cp.server.settle();
  let n = c.received.length;
  await applyYaml(config, destinationRule('ratings'));
  const changed = await c.next(CLUSTER_TYPE, n);
  assert.ok(c.names(changed).includes('outbound|9080|v1|ratings.default.svc.cluster.local'));
  assert.ok(!c.names(changed).includes(REVIEWS), 'unchanged clusters are not sent');
  c.request(CLUSTER_TYPE, { ack: changed, error: 'cluster outbound|9080|v1|ratings: bad subset' });
  const row = await statusOf(c.node.id!);
  assert.equal(row.CDS, 'NACK');
  assert.match((row.cluster_nack as Row).error as string, /bad subset/);
  assert.equal(row.cluster_acked_version, all.systemVersionInfo, 'the acked version stays the last good');
  n = c.received.length;
  await applyYaml(config, destinationRule('reviews'));
  const next = await c.next(CLUSTER_TYPE, n);
  for (const name of c.names(changed))
    assert.ok(c.names(next).includes(name), `${name}, rejected before, is sent again`);
  assert.ok(c.names(next).includes('outbound|9080|v1|reviews.default.svc.cluster.local'));
  c.request(CLUSTER_TYPE, { ack: next });
  const synced = await statusOf(c.node.id!);
  assert.equal(synced.CDS, 'SYNCED');
  assert.equal(synced.cluster_nack, undefined);
  const metrics = await (await fetch(`http://127.0.0.1:${cp.monitoringPort}/metrics`)).text();
  assert.match(metrics, /pilot_total_xds_rejects\{type="cds"\} 1/);
  c.close();
});

test('delta: a removed service comes back in removed_resources; "*" subscribes to every listener', async () => {
  const c = client('productpage-v1-0', '127.1.0.2');
  c.request(CLUSTER_TYPE);
  const all = await c.next(CLUSTER_TYPE);
  c.request(CLUSTER_TYPE, { ack: all });
  c.request(LISTENER_TYPE, { subscribe: ['*'] });
  const listeners = await c.next(LISTENER_TYPE);
  assert.deepEqual(c.names(listeners), ['127.1.0.2_15001', '127.1.0.2_9080']);
  c.request(LISTENER_TYPE, { ack: listeners });
  await cp.server.settle();
  let n = c.received.length;
  await applyYaml(
    config,
    `apiVersion: v1
kind: Service
metadata:
  name: details
spec:
  ports:
  - port: 9080
    name: http
  selector:
    app: details
`,
  );
  const added = await c.next(CLUSTER_TYPE, n);
  assert.deepEqual(c.names(added), [DETAILS]);
  c.request(CLUSTER_TYPE, { ack: added });
  await cp.server.settle();
  n = c.received.length;
  await config.delete([{ kind: 'Service', namespace: 'default', name: 'details' }]);
  const removed = await c.next(CLUSTER_TYPE, n);
  assert.deepEqual(c.names(removed), []);
  assert.deepEqual(removed.removedResources, [DETAILS]);
  c.request(CLUSTER_TYPE, { ack: removed });
  c.close();
});

test('delta: a reconnecting proxy naming what it holds gets only what changed or went away', async () => {
  const first = client('resumed-0', '127.1.0.3');
  first.request(CLUSTER_TYPE);
  const cds = await first.next(CLUSTER_TYPE);
  first.request(CLUSTER_TYPE, { ack: cds });
  first.request(ENDPOINT_TYPE, { subscribe: [REVIEWS, RATINGS] });
  const eds = await first.next(ENDPOINT_TYPE);
  first.request(ENDPOINT_TYPE, { ack: eds });
  await cp.server.settle();
  first.close();
  const held = DeltaClient.versions([cds]);
  const gone = 'outbound|9080||gone.default.svc.cluster.local';
  const again = client('resumed-0', '127.1.0.3');
  again.request(CLUSTER_TYPE, { initial: { ...held, [RATINGS]: 'stale', [gone]: 'v0' } });
  const resumed = await again.next(CLUSTER_TYPE);
  assert.deepEqual(again.names(resumed), [RATINGS]);
  assert.deepEqual(resumed.removedResources, [gone]);
  again.request(CLUSTER_TYPE, { ack: resumed });
  again.request(ENDPOINT_TYPE, { subscribe: [REVIEWS, RATINGS], initial: DeltaClient.versions([eds]) });
  const endpoints = await again.next(ENDPOINT_TYPE);
  assert.deepEqual(again.names(endpoints), [], 'nothing changed: an empty answer');
  assert.deepEqual(endpoints.removedResources ?? [], []);
  again.request(ENDPOINT_TYPE, { ack: endpoints });
  const row = await statusOf(again.node.id!);
  assert.equal(row.CDS, 'SYNCED');
  assert.equal(row.EDS, 'SYNCED');
  again.close();
});

/** A delta ADS stream keeping each response as the bytes that arrived. */
function rawStream(n: NodeInfo): {
  send(m: Record<string, unknown>): void;
  next(typeUrl: string): Promise<{ bytes: Buffer; response: DecodedResponse }>;
  close(): void;
} {
  const client = new grpc.Client(`127.0.0.1:${cp.xdsPort}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
    (m: Record<string, unknown>) => Buffer.from(DeltaRequest.encode(DeltaRequest.fromObject(m)).finish()),
    (b: Buffer) => b,
  );
  call.on('error', () => undefined);
  const got: Buffer[] = [];
  call.on('data', (b: Buffer) => got.push(b));
  let first = true;
  return {
    send(m) {
      call.write({ ...(first ? { node: n } : {}), ...m });
      first = false;
    },
    async next(typeUrl) {
      for (;;) {
        const i = got.findIndex((b) => decode(b).typeUrl === typeUrl);
        if (i >= 0) {
          const [bytes] = got.splice(i, 1);
          return { bytes: bytes!, response: decode(bytes!) };
        }
        await sleep(5);
      }
    },
    close() {
      call.end();
      client.close();
    },
  };
}

interface DecodedResponse {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: { name: string }[];
  removedResources: string[];
}

const DeltaRequest = envoyRoot().lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
const DeltaResponse = envoyRoot().lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse');

function decode(b: Buffer): DecodedResponse {
  return DeltaResponse.toObject(DeltaResponse.decode(b), { arrays: true }) as DecodedResponse;
}

test('delta: proxies alike get one encoded response, the bytes a response encoded for one stream has; different subscriptions get exactly theirs', async () => {
  const a = rawStream(node('sidecar', '127.1.0.20', 'alike-a'));
  const b = rawStream(node('sidecar', '127.1.0.21', 'alike-b'));
  for (const s of [a, b]) s.send({ typeUrl: ROUTE_TYPE, resourceNamesSubscribe: ['http_proxy'] });
  const [ra, rb] = [await a.next(ROUTE_TYPE), await b.next(ROUTE_TYPE)];
  assert.deepEqual(ra.bytes, rb.bytes, 'the same response, nonce and all');
  assert.deepEqual(
    ra.response.resources.map((r) => r.name),
    ['http_proxy'],
  );
  // The same response encoded for one stream alone, from the resources the server generates.
  const conn = cp.server.connections().find((c) => c.proxy.podName === 'alike-a');
  assert.ok(conn);
  const [rc] = GENERATORS.get(ROUTE_TYPE)!.generate(conn.proxy, cp.server.pushContext, {
    names: ['http_proxy'],
    key: 'http_proxy',
    wildcard: false,
  });
  const cache = cp.server.cache;
  const own = encodeDeltaResponse(
    { ...ra.response, controlPlane: 'caravel' },
    [cache.deltaBytes(cache.deltaEntry(ROUTE_TYPE, rc!))],
    [],
  );
  assert.deepEqual(ra.bytes, messageOf(own));

  a.send({ typeUrl: ENDPOINT_TYPE, resourceNamesSubscribe: [REVIEWS] });
  b.send({ typeUrl: ENDPOINT_TYPE, resourceNamesSubscribe: [RATINGS, REVIEWS] });
  const [ea, eb] = [await a.next(ENDPOINT_TYPE), await b.next(ENDPOINT_TYPE)];
  assert.deepEqual(
    ea.response.resources.map((r) => r.name),
    [REVIEWS],
  );
  assert.deepEqual(eb.response.resources.map((r) => r.name).sort(), [RATINGS, REVIEWS]);
  a.close();
  b.close();
});
