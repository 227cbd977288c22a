// Proxyless gRPC (@grpc/grpc-js-xds) against the control plane: routing features driven by Istio
// YAML applied at runtime, observed through real calls to real gRPC servers on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import type { ControlPlane } from './index.ts';
import type { MemoryStore } from '../config/index.ts';
import { startControlPlane } from './index.ts';
import type { GreeterServer } from './fixtures/greeter.ts';
import { GreeterClient, startGreeter } from './fixtures/greeter.ts';
import { addPod, applyYaml, storeWith } from './fixtures/harness.ts';

const SERVICE = `
apiVersion: v1
kind: Service
metadata:
  name: greeter
spec:
  selector:
    app: greeter
  ports:
  - name: grpc
    port: 7070
    targetPort: grpc
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: greeter
spec:
  host: greeter
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: flaky
    labels:
      version: flaky
`;

let cp: ControlPlane;
let config: MemoryStore;
const servers = new Map<string, GreeterServer>();
let client: GreeterClient;

async function vs(http: string): Promise<void> {
  await applyYaml(
    config,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: greeter
spec:
  hosts:
  - greeter
  http:
${http}`,
  );
}

/** Calls until `ok` holds for a batch (xDS updates arrive asynchronously), or fails after a while. */
async function until(
  what: string,
  ok: (batch: Awaited<ReturnType<GreeterClient['calls']>>) => boolean,
  headers: Record<string, string> = {},
  n = 6,
) {
  for (let i = 0; i < 100; i++) {
    const batch = await client.calls(n, headers);
    if (ok(batch)) return batch;
    await sleep(50);
  }
  assert.fail(`never observed: ${what}`);
}

before(async () => {
  config = await storeWith(SERVICE);
  cp = await startControlPlane({ xdsPort: 0, monitoringPort: 0, config, debounceMs: 10 });
  for (const [name, version, ip] of [
    ['greeter-v1-a', 'v1', '127.0.0.1'],
    ['greeter-v1-b', 'v1', '127.0.0.1'],
    ['greeter-v2-a', 'v2', '127.0.0.1'],
    ['greeter-flaky-a', 'flaky', '127.0.0.1'],
  ] as const) {
    const s = await startGreeter(name);
    servers.set(name, s);
    addPod(cp.registry, { name, ip, labels: { app: 'greeter', version }, ports: { grpc: s.port } });
  }
  // The bootstrap is read once per process, on the first xds: channel: set it before that.
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${cp.xdsPort}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      },
    ],
    node: {
      id: 'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local',
      metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' },
      locality: {},
    },
  });
  xds.register();
  client = new GreeterClient('xds:///greeter.default.svc.cluster.local:7070');
});

after(async () => {
  client.close();
  await cp.close();
  await Promise.all([...servers.values()].map((s) => s.close()));
});

test('without rules the client balances over every endpoint of the service', async () => {
  const batch = await until(
    'all four pods answering',
    (b) => new Set(b.map((r) => r.server)).size === 4,
    {},
    12,
  );
  assert.ok(batch.every((r) => r.code === grpc.status.OK));
  const rows = (await (await fetch(`http://127.0.0.1:${cp.monitoringPort}/debug/syncz`)).json()) as {
    proxy_type: string;
    LDS: string;
  }[];
  assert.ok(rows.some((r) => r.proxy_type === 'grpc' && r.LDS === 'SYNCED'));
});

test('weighted split between subsets stays within statistical bounds', async () => {
  await vs(`  - route:
    - destination:
        host: greeter
        subset: v1
      weight: 80
    - destination:
        host: greeter
        subset: v2
      weight: 20
`);
  await until(
    'only v1 and v2 answering',
    (b) => b.every((r) => r.server?.startsWith('greeter-v1') || r.server === 'greeter-v2-a'),
    {},
    20,
  );
  const batch = await client.calls(400);
  const v2 = batch.filter((r) => r.server === 'greeter-v2-a').length;
  // Binomial(400, 0.2): mean 80, standard deviation 8; allow five of them either way.
  assert.ok(v2 >= 40 && v2 <= 120, `v2 answered ${v2} of 400`);
  assert.equal(batch.filter((r) => !r.server?.startsWith('greeter-v')).length, 0);
});

test('a header match sends end-user jason to v2 and everyone else to v1', async () => {
  await vs(`  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: greeter
        subset: v2
  - route:
    - destination:
        host: greeter
        subset: v1
`);
  await until('jason on v2', (b) => b.every((r) => r.server === 'greeter-v2-a'), { 'end-user': 'jason' });
  const others = await until('others on v1', (b) => b.every((r) => r.server?.startsWith('greeter-v1')), {
    'end-user': 'bob',
  });
  assert.equal(others.length, 6);
});

test('fault injection: abort with a gRPC status, and a fixed delay', async () => {
  await vs(`  - fault:
      abort:
        grpcStatus: PERMISSION_DENIED
        percentage:
          value: 100
    route:
    - destination:
        host: greeter
        subset: v1
`);
  await until('aborted', (b) => b.every((r) => r.code === grpc.status.PERMISSION_DENIED));
  await vs(`  - fault:
      delay:
        fixedDelay: 300ms
        percentage:
          value: 100
    route:
    - destination:
        host: greeter
        subset: v1
`);
  const delayed = await until('delayed', (b) => b.every((r) => r.code === 0 && r.ms >= 280), {}, 2);
  assert.ok(delayed.every((r) => r.server?.startsWith('greeter-v1')));
});

test('a route timeout ends slow calls with DEADLINE_EXCEEDED', async () => {
  await vs(`  - timeout: 100ms
    route:
    - destination:
        host: greeter
        subset: v1
`);
  // The server takes 500 ms and the call's own deadline is 5 s: only the route timeout ends it.
  await until(
    'timed out',
    (b) => b.every((r) => r.code === grpc.status.DEADLINE_EXCEEDED),
    { 'sleep-ms': '500' },
    2,
  );
  const fast = await client.call();
  assert.equal(fast.code, 0);
});

test('retries: with attempts 0 a flaky backend fails; with attempts 3 on unavailable every call succeeds', async () => {
  const flaky = servers.get('greeter-flaky-a')!;
  flaky.failFirst = 2;
  flaky.failOf = 3;
  await vs(`  - retries:
      attempts: 0
    route:
    - destination:
        host: greeter
        subset: flaky
`);
  await until('failures without retries', (b) => b.some((r) => r.code === grpc.status.UNAVAILABLE), {}, 6);
  await vs(`  - retries:
      attempts: 3
      retryOn: unavailable
    route:
    - destination:
        host: greeter
        subset: flaky
`);
  const before = flaky.calls;
  const ok = await until(
    'all succeed with retries',
    (b) => b.every((r) => r.code === 0 && r.server === 'greeter-flaky-a'),
    {},
    9,
  );
  assert.equal(ok.length, 9);
  assert.ok(flaky.calls - before > 9, 'the backend saw the retried attempts');
});

test('an endpoint removed from the registry disappears from the client picks', async () => {
  await vs(`  - route:
    - destination:
        host: greeter
        subset: v1
`);
  await until('both v1 pods', (b) => new Set(b.map((r) => r.server)).size === 2, {}, 8);
  cp.registry.removePod('default', 'greeter-v1-a');
  await until('only greeter-v1-b', (b) => b.every((r) => r.server === 'greeter-v1-b'), {}, 8);
  const later = await client.calls(20);
  assert.ok(later.every((r) => r.server === 'greeter-v1-b'));
});

test('a ServiceEntry host is served to proxyless clients like a Service host', async () => {
  const v2 = servers.get('greeter-v2-a')!;
  await applyYaml(
    config,
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: partner
spec:
  hosts:
  - greeter.partner.example
  ports:
  - number: 7070
    name: grpc
    protocol: GRPC
  location: MESH_EXTERNAL
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports:
      grpc: ${v2.port}
`,
  );
  const partner = new GreeterClient('xds:///greeter.partner.example:7070');
  try {
    let r = await partner.call();
    for (let i = 0; i < 50 && r.code !== 0; i++) {
      await sleep(50);
      r = await partner.call();
    }
    assert.equal(r.server, 'greeter-v2-a');
  } finally {
    partner.close();
  }
});
