// proxy-status and proxy-config against a real control plane and real in-process sidecars.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../index.ts';
import { compareDumps } from '../istioctl/index.ts';
import { startTestMesh } from '../istioctl/fixtures/local-mesh.ts';
import type { TestMesh } from '../istioctl/fixtures/local-mesh.ts';

let mesh: TestMesh;
const PRODUCTPAGE = 'productpage-v1-7d4f9';
const REVIEWS = 'reviews-v1-5b8c2';
const HTTPBIN = 'httpbin-6f9b1';

before(async () => {
  mesh = await startTestMesh([
    {
      name: PRODUCTPAGE,
      deployment: 'productpage-v1',
      app: 'productpage',
      version: 'v1',
      port: 9080,
      host: 2,
      sidecar: true,
    },
    {
      name: REVIEWS,
      deployment: 'reviews-v1',
      app: 'reviews',
      version: 'v1',
      port: 9080,
      host: 3,
      sidecar: true,
    },
    {
      name: HTTPBIN,
      deployment: 'httpbin',
      app: 'httpbin',
      version: 'v1',
      port: 80,
      host: 4,
      sidecar: false,
    },
  ]);
});

after(async () => {
  await mesh.close();
});

/** The table's rows as cells (istioctl separates columns by at least two spaces, or one for listeners). */
function rows(out: string, gap = /\s{2,}/): string[][] {
  return out.split('\n').map((l) => l.trim().split(gap));
}

async function ok(argv: string[]): Promise<string> {
  const r = await mesh.run(argv);
  assert.equal(r.code, 0, `caravel ${argv.join(' ')}: ${r.err}`);
  return r.out;
}

test('proxy-status: one SYNCED row per connected proxy, in istioctl 1.22 columns', async () => {
  const t = rows(await ok(['proxy-status']));
  assert.deepEqual(t[0], ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION']);
  assert.deepEqual(
    t.slice(1).map((r) => r[0]),
    [`${PRODUCTPAGE}.default`, `${REVIEWS}.default`],
  );
  for (const r of t.slice(1))
    assert.deepEqual(r.slice(1), [
      'Kubernetes',
      'SYNCED',
      'SYNCED',
      'SYNCED',
      'SYNCED',
      'NOT SENT',
      `caravel-${process.pid}`,
      '1.0.0-test',
    ]);
});

test('proxy-status POD: the control plane and the proxy agree, by name, prefix or deployment', async () => {
  for (const target of [
    PRODUCTPAGE,
    `${PRODUCTPAGE}.default`,
    'productpage',
    'deploy/productpage-v1',
    'deploy/productpage-v1.default',
  ]) {
    const lines = (await ok(['proxy-status', target])).split('\n');
    assert.equal(lines[0], 'Clusters Match');
    assert.equal(lines[1], 'Listeners Match');
    assert.match(
      lines[2]!,
      /^Routes Match \(RDS last loaded at \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} UTC\)$/,
    );
  }
});

test('proxy-status POD: a proxy holding something else shows up as a unified diff', async () => {
  const id = `${PRODUCTPAGE}.default`;
  const sent = await (
    await fetch(`http://127.0.0.1:${mesh.cp.monitoringPort}/debug/config_dump?proxyID=${id}`)
  ).json();
  const held = (await (await fetch(`http://${mesh.ip(PRODUCTPAGE)}:15000/config_dump`)).json()) as {
    configs: { dynamic_active_clusters?: { cluster: Record<string, unknown> }[] }[];
  };
  const clusters = held.configs.find((c) => c.dynamic_active_clusters)!.dynamic_active_clusters!;
  const reviews = clusters.find(
    (c) => c.cluster.name === 'outbound|9080|v1|reviews.default.svc.cluster.local',
  )!;
  reviews.cluster.connect_timeout = '99s';
  const out = compareDumps(sent, held).join('\n');
  assert.match(out, /^--- Istiod Clusters\n\+\+\+ Envoy Clusters\n@@ -\d+,\d+ \+\d+,\d+ @@/);
  assert.match(out, /^-\s+"connect_timeout": "10s",$/m);
  assert.match(out, /^\+\s+"connect_timeout": "99s",$/m);
  assert.match(out, /^Listeners Match$/m);
});

test('proxy-config cluster: subsets, directions and the DestinationRule of each cluster', async () => {
  const t = rows(await ok(['proxy-config', 'cluster', PRODUCTPAGE]));
  assert.deepEqual(t[0], ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE']);
  const find = (fqdn: string, subset: string) => t.find((r) => r[0] === fqdn && r[2] === subset);
  assert.deepEqual(find('reviews.default.svc.cluster.local', 'v1'), [
    'reviews.default.svc.cluster.local',
    '9080',
    'v1',
    'outbound',
    'EDS',
    'reviews.default',
  ]);
  assert.deepEqual(find('reviews.default.svc.cluster.local', '-')?.slice(1), [
    '9080',
    '-',
    'outbound',
    'EDS',
    'reviews.default',
  ]);
  assert.deepEqual(find('BlackHoleCluster', '-')?.slice(1), ['-', '-', '-', 'STATIC']);
  assert.deepEqual(find('PassthroughCluster', '-')?.slice(1), ['-', '-', '-', 'ORIGINAL_DST']);
  // The inbound cluster has no host: its row starts with the port.
  assert.ok(
    t.some((r) => r.join(' ') === '9080 - inbound STATIC'),
    'inbound|9080|| row',
  );
  // Filters: --fqdn, --subset, --port, --direction.
  const v1 = rows(await ok(['pc', 'clusters', PRODUCTPAGE, '--fqdn', 'reviews', '--subset', 'v1']));
  assert.deepEqual(
    v1.slice(1).map((r) => r[2]),
    ['v1'],
  );
  const inbound = rows(
    await ok(['proxy-config', 'cluster', PRODUCTPAGE, '--direction', 'inbound', '--port', '9080']),
  );
  assert.equal(inbound.length, 2);
});

test('proxy-config cluster -o wide and -o json: the circuit breaker of the httpbin DestinationRule', async () => {
  const t = rows(await ok(['proxy-config', 'cluster', PRODUCTPAGE, '--fqdn', 'httpbin', '-o', 'wide']));
  assert.deepEqual(t[0]!.slice(6), ['MAX CONN', 'MAX PENDING', 'MAX REQ', 'MAX RETRIES']);
  assert.deepEqual(t[1], [
    'httpbin.default.svc.cluster.local',
    '8000',
    '-',
    'outbound',
    'EDS',
    'httpbin.default',
    '1',
    '1',
    '4294967295',
    '4294967295',
  ]);
  const json = JSON.parse(
    await ok(['proxy-config', 'cluster', PRODUCTPAGE, '--fqdn', 'httpbin', '-o', 'json']),
  ) as {
    name: string;
    circuitBreakers: { thresholds: { maxConnections: number; maxPendingRequests: number }[] };
    outlierDetection: { consecutiveGatewayFailure: number; baseEjectionTime: string };
    metadata: { filterMetadata: { istio: { config: string } } };
  }[];
  assert.equal(json.length, 1);
  assert.equal(json[0]!.name, 'outbound|8000||httpbin.default.svc.cluster.local');
  assert.equal(json[0]!.circuitBreakers.thresholds[0]!.maxConnections, 1);
  assert.equal(json[0]!.circuitBreakers.thresholds[0]!.maxPendingRequests, 1);
  assert.equal(json[0]!.outlierDetection.consecutiveGatewayFailure, 1);
  assert.equal(json[0]!.outlierDetection.baseEjectionTime, '180s');
  assert.equal(
    json[0]!.metadata.filterMetadata.istio.config,
    '/apis/networking.istio.io/v1/namespaces/default/destination-rule/httpbin',
  );
  assert.match(
    await ok(['proxy-config', 'cluster', PRODUCTPAGE, '--fqdn', 'httpbin', '-o', 'yaml']),
    /maxConnections: 1$/m,
  );
});

test('proxy-config listener: one row per filter chain with its destination', async () => {
  const t = rows(await ok(['proxy-config', 'listeners', PRODUCTPAGE]), / +/);
  assert.deepEqual(t[0], ['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION']);
  const ip = mesh.ip(PRODUCTPAGE);
  assert.deepEqual(t[1], [ip, '9080', 'ALL', 'Cluster:', 'inbound|9080||']);
  assert.deepEqual(t[2], [ip, '15001', 'ALL', 'Route:', 'http_proxy']);
  assert.equal(rows(await ok(['proxy-config', 'listener', PRODUCTPAGE, '--port', '15001'])).length, 2);
});

test('proxy-config route: virtual hosts of http_proxy with their VirtualService, and the inbound route', async () => {
  const t = rows(await ok(['proxy-config', 'routes', PRODUCTPAGE]));
  assert.deepEqual(t[0], ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE']);
  assert.deepEqual(
    t.find((r) => r[1] === 'reviews.default.svc.cluster.local:9080'),
    [
      'http_proxy',
      'reviews.default.svc.cluster.local:9080',
      'reviews.default:9080, reviews:9080',
      '/*',
      'reviews.default',
    ],
  );
  // httpbin has no VirtualService: its default route names none.
  assert.deepEqual(t.find((r) => r[1] === 'httpbin.default.svc.cluster.local:8000')?.slice(3), ['/*']);
  assert.deepEqual(
    t.find((r) => r[0] === 'inbound|9080||'),
    ['inbound|9080||', 'inbound|http|9080', '*', '/*'],
  );
  const named = rows(await ok(['proxy-config', 'route', PRODUCTPAGE, '--name', 'http_proxy']));
  assert.ok(named.slice(1).every((r) => r[0] === 'http_proxy'));
  assert.equal(named.length, 6);
});

test('proxy-config endpoint: the endpoints of each cluster with health and outlier status', async () => {
  const t = rows(await ok(['proxy-config', 'endpoints', PRODUCTPAGE]));
  assert.deepEqual(t[0], ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER']);
  const reviews = `${mesh.ip(REVIEWS)}:9080`;
  assert.ok(
    t.some((r) => r.join(' ') === `${reviews} HEALTHY OK outbound|9080|v1|reviews.default.svc.cluster.local`),
    t.map((r) => r.join(' ')).join('\n'),
  );
  assert.ok(
    t.some(
      (r) =>
        r.join(' ') === `${mesh.ip(HTTPBIN)}:80 HEALTHY OK outbound|8000||httpbin.default.svc.cluster.local`,
    ),
  );
  const one = rows(
    await ok([
      'proxy-config',
      'endpoint',
      PRODUCTPAGE,
      '--cluster',
      'outbound|9080|v1|reviews.default.svc.cluster.local',
    ]),
  );
  assert.deepEqual(one.slice(1), [
    [reviews, 'HEALTHY', 'OK', 'outbound|9080|v1|reviews.default.svc.cluster.local'],
  ]);
  assert.equal(rows(await ok(['proxy-config', 'endpoint', PRODUCTPAGE, '--status', 'unhealthy'])).length, 1);
});

test('proxy-config bootstrap, secret and all', async () => {
  const boot = JSON.parse(await ok(['proxy-config', 'bootstrap', REVIEWS])) as {
    bootstrap: { node: { id: string; metadata: Record<string, unknown> }; dynamicResources: unknown };
  };
  assert.equal(
    boot.bootstrap.node.id,
    `sidecar~${mesh.ip(REVIEWS)}~${REVIEWS}.default~default.svc.cluster.local`,
  );
  assert.equal(boot.bootstrap.node.metadata.INTERCEPTION_MODE, 'NONE');
  assert.ok(boot.bootstrap.dynamicResources);
  assert.equal(await ok(['proxy-config', 'secret', REVIEWS]), 'No active or warming secrets found.');
  const all = await ok(['proxy-config', 'all', PRODUCTPAGE]);
  const sections = all.split('\n\n');
  assert.equal(sections.length, 5);
  assert.match(
    sections[0]!,
    /^cluster\/reviews\.default\.svc\.cluster\.local +9080 +v1 +outbound +EDS +reviews\.default$/m,
  );
  assert.match(sections[1]!, /^listener\/\S+ 15001 ALL +Route: http_proxy$/m);
  assert.match(sections[2]!, /^route\/http_proxy +reviews\.default\.svc\.cluster\.local:9080 /m);
  assert.match(sections[4]!, /^NAME +STATUS +LOCALITY +CLUSTER$/m);
  assert.match(
    sections[4]!,
    new RegExp(`^endpoint/${mesh.ip(REVIEWS).replaceAll('.', '\\.')}:9080 +HEALTHY`, 'm'),
  );
});

test('unknown pods, pods without a sidecar and bad usage are one clear error each', async () => {
  let r = await mesh.run(['proxy-config', 'cluster', 'nope']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: pods "nope" not found\n {2}hint: pods in namespace "default": /);
  r = await mesh.run(['proxy-config', 'cluster', `${PRODUCTPAGE}.other`]);
  assert.match(r.err, /pods "productpage-v1-7d4f9" not found\n {2}hint: it is in namespace default/);
  r = await mesh.run(['proxy-status', HTTPBIN]);
  assert.equal(r.code, 1);
  assert.match(r.err, /pod httpbin-6f9b1\.default has no istio-proxy container/);
  r = await mesh.run(['proxy-config', 'cluster', 're']);
  assert.equal(r.code, 0, 'a unique prefix names the pod');
  r = await mesh.run(['proxy-config', 'listener', PRODUCTPAGE, '--fqdn', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown flag: --fqdn/);
  r = await mesh.run(['proxy-config', 'clusterz', PRODUCTPAGE]);
  assert.equal(r.code, 2);
  r = await mesh.run(['proxy-config', 'cluster', PRODUCTPAGE, '-o', 'table']);
  assert.equal(r.code, 2);
});

test('without a running mesh: "the mesh is not running"', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'caravel-no-mesh-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const run = async (argv: string[]) => {
      const err: string[] = [];
      const code = await main(argv, {
        out: () => {},
        err: (t) => err.push(t),
        stdin: () => '',
        env: {},
        cwd: dir,
      });
      return { code, err: err.join('\n') };
    };
    let r = await run(['proxy-status', '--state-dir', 'state']);
    assert.deepEqual(r, { code: 1, err: 'error: the mesh is not running (start it with caravel up)' });
    mkdirSync(join(dir, 'state'));
    writeFileSync(
      join(dir, 'state', 'mesh.json'),
      JSON.stringify({ pid: dead, xdsPort: 1, monitoringPort: 1 }),
    );
    r = await run(['proxy-config', 'cluster', 'x', '--state-dir', 'state']);
    assert.deepEqual(r, { code: 1, err: 'error: the mesh is not running (start it with caravel up)' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
