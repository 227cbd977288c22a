// The proxy on incremental xDS against the real control plane: a gateway routing to an app, its
// config changed, extended, cut back, refused and re-sent across a control plane restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readManifests } from '../../config/index.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../envoy/index.ts';
import type { Proxy } from '../proxy.ts';
import { request } from '../testing/harness.ts';
import { TestControlPlane, until } from '../testing/control-plane.ts';
import type { LoggedProxy, Pod } from '../testing/control-plane.ts';

const WEB = 'outbound|8080||web.default.svc.cluster.local';
const API = 'outbound|8080||api.default.svc.cluster.local';

function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 8080, targetPort: 8080}]
`;
}

function gateway(ports: number[], labels = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default${labels}}
spec:
  selector: {istio: test-gw}
  servers:
${ports.map((p) => `  - port: {number: ${p}, name: http-${p}, protocol: HTTP}\n    hosts: ['*']`).join('\n')}
`;
}

const ROUTES = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: routes, namespace: default}
spec:
  hosts: ['*']
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api, port: {number: 8080}}}]
  - route: [{destination: {host: web, port: {number: 8080}}}]
`;

function connectTimeout(seconds: number): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web
  trafficPolicy: {connectionPool: {tcp: {connectTimeout: ${seconds}s}}}
`;
}

let scene: TestControlPlane;
let gw: Pod;
let g: LoggedProxy;

before(async () => {
  scene = await TestControlPlane.start([service('web'), gateway([18080]), ROUTES].join('---\n'));
  const web = scene.addPod('web-0', { app: 'web' }, [8080]);
  await scene.app(web, 8080);
  gw = scene.addPod('gw-0', { istio: 'test-gw' }, [18080]);
  g = await scene.proxy('router', gw);
});

after(async () => {
  await scene.close();
});

/** The control plane's view of the proxy's delta subscription of a type. */
function subscription(proxy: Proxy, typeUrl: string): { wildcard: boolean; names: readonly string[] } {
  const conn = scene.cp.server.connections().find((c) => c.proxy.id === proxy.bootstrap.node.id);
  assert.equal(conn?.protocol, 'DELTA');
  const s = conn.types.get(typeUrl);
  assert.ok(s, `a ${typeUrl} subscription`);
  return { wildcard: s.wildcard, names: s.names };
}

/** The proxy's log lines for accepted responses of `type` from `from` on. */
function accepted(logs: readonly string[], type: string, from: number): string[] {
  return logs.slice(from).filter((l) => l.includes(`\taccepted ${type} `));
}

async function get(port: number, path = '/'): Promise<{ status: number; name?: string }> {
  const r = await request(port, path, { host: gw.ip });
  return { status: r.status, name: r.status === 200 ? r.json<{ name: string }>().name : undefined };
}

test('the default api type is DELTA_GRPC: the whole config arrives, traffic flows, proxy-status shows SYNCED', async () => {
  assert.equal(g.proxy.bootstrap.xds.apiType, 'DELTA_GRPC');
  assert.deepEqual(await get(18080), { status: 200, name: 'web-0' });
  await scene.converged();
  const row = scene.status(g.proxy)!;
  for (const t of ['CDS', 'LDS', 'EDS', 'RDS']) assert.equal(row[t], 'SYNCED', t);
  // Clusters and listeners by wildcard; endpoints and routes by the names the proxy needs.
  assert.deepEqual(subscription(g.proxy, CLUSTER_TYPE), { wildcard: true, names: [] });
  assert.deepEqual(subscription(g.proxy, LISTENER_TYPE), { wildcard: true, names: [] });
  assert.deepEqual(subscription(g.proxy, ENDPOINT_TYPE).names, g.proxy.clusters.edsNames().sort());
  assert.ok(subscription(g.proxy, ENDPOINT_TYPE).names.includes(WEB));
  assert.deepEqual(subscription(g.proxy, ROUTE_TYPE), { wildcard: false, names: ['http.18080'] });
  // config_dump: the api type as Envoy shows it, and the control plane's system version per type.
  const dump = (await (await fetch(`http://${gw.ip}:${g.proxy.admin.port('admin')}/config_dump`)).json()) as {
    configs: Record<string, unknown>[];
  };
  const boot = dump.configs[0] as { bootstrap: { dynamic_resources: { ads_config: { api_type: string } } } };
  assert.equal(boot.bootstrap.dynamic_resources.ads_config.api_type, 'DELTA_GRPC');
  assert.equal(dump.configs[1]!.version_info, row.cluster_acked_version);
  assert.equal(dump.configs[2]!.version_info, row.listener_acked_version);
});

test('a change sends only the resource that changed, and the proxy applies it', async () => {
  const mark = g.logs.length;
  await scene.apply(connectTimeout(3));
  await scene.converged();
  assert.equal(g.proxy.clusters.get(WEB)?.config.connectTimeoutMs, 3000);
  const lines = accepted(g.logs, 'Cluster', mark);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(
    lines[0]!,
    /: 1 added or changed \(outbound\|8080\|\|web\.default\.svc\.cluster\.local\), 0 removed$/,
  );
  // The other clusters are still there, and traffic still flows.
  assert.ok(g.proxy.clusters.get('BlackHoleCluster'));
  assert.deepEqual(await get(18080), { status: 200, name: 'web-0' });
});

test('EDS follows the clusters and RDS the listeners; what is removed disappears', async () => {
  const api = scene.addPod('api-0', { app: 'api' }, [8080]);
  await scene.app(api, 8080);
  await scene.apply([service('api'), gateway([18080, 18081])].join('---\n'));
  await scene.converged();
  assert.ok(subscription(g.proxy, ENDPOINT_TYPE).names.includes(API));
  assert.deepEqual(subscription(g.proxy, ROUTE_TYPE).names, ['http.18080', 'http.18081']);
  assert.deepEqual(await get(18080, '/api'), { status: 200, name: 'api-0' });
  assert.deepEqual(await get(18081), { status: 200, name: 'web-0' });

  const mark = g.logs.length;
  await scene.delete({ kind: 'Service', namespace: 'default', name: 'api' });
  await scene.apply(gateway([18080]));
  await scene.converged();
  assert.equal(g.proxy.clusters.get(API), undefined);
  assert.match(
    accepted(g.logs, 'Cluster', mark).join('\n'),
    /0 added or changed, 1 removed \(outbound\|8080\|\|api\./,
  );
  assert.ok(!subscription(g.proxy, ENDPOINT_TYPE).names.includes(API), 'EDS unsubscribed');
  assert.deepEqual(subscription(g.proxy, ROUTE_TYPE).names, ['http.18080']);
  assert.equal(g.proxy.routes.has('http.18081'), false);
  assert.equal(g.proxy.listeners.get('0.0.0.0_18081'), undefined);
  // A route to the removed service's cluster fails as when the cluster never came.
  assert.equal((await get(18080, '/api')).status, 503);
  assert.deepEqual(await get(18080), { status: 200, name: 'web-0' });
});

test('an invalid resource is NACKed with its reason; the last good config keeps serving; syncz shows the NACK', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(18082, gw.ip, resolve));
  try {
    await scene.apply(gateway([18080, 18082]));
    await scene.cp.server.settle();
    await until(() => scene.status(g.proxy)?.LDS === 'NACK', 'the LDS NACK in syncz');
    const nack = scene.status(g.proxy)!.listener_nack as { error: string };
    assert.match(nack.error, /listener 0\.0\.0\.0_18082 cannot bind .*EADDRINUSE/);
    assert.equal(g.proxy.stats.value('listener_manager.lds.update_rejected'), 1);
    assert.equal(g.proxy.listeners.get('0.0.0.0_18082'), undefined);
    assert.deepEqual(await get(18080), { status: 200, name: 'web-0' });
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
  // The refused listener is sent again with the next push, and binds now.
  await scene.apply(gateway([18080, 18082], ', labels: {retry: "1"}'));
  await scene.converged();
  assert.equal(scene.status(g.proxy)?.LDS, 'SYNCED');
  assert.deepEqual(await get(18082), { status: 200, name: 'web-0' });
  await scene.apply(gateway([18080]));
  await scene.converged();
});

test('control plane restart: the proxy names what it holds, gets only what changed meanwhile, and traffic never stops', async () => {
  const failures: string[] = [];
  let served = 0;
  let stop = false;
  const traffic = (async () => {
    while (!stop) {
      const r = await get(18080).catch((e: Error) => ({ status: 0, name: e.message }));
      if (r.status === 200) served++;
      else failures.push(`${r.status} ${r.name ?? ''}`);
    }
  })();
  const mark = g.logs.length;
  await scene.stop();
  await until(() => g.proxy.stats.value('control_plane.connected_state') === 0, 'the proxy to see the loss');
  const before = served;
  await until(() => served > before + 5, 'traffic while the control plane is away');
  // Changed while no control plane runs: the restarted one finds it in the store.
  await scene.store.apply(readManifests([{ file: 'dr.yaml', text: connectTimeout(4) }]).manifests);
  await scene.restart();
  await until(() => g.proxy.stats.value('control_plane.connected_state') === 1, 'the proxy to reconnect');
  await scene.converged();
  stop = true;
  await traffic;
  assert.deepEqual(failures, []);
  assert.equal(g.proxy.clusters.get(WEB)?.config.connectTimeoutMs, 4000);
  // Only the changed cluster came again: the proxy named every resource it holds with its version.
  assert.deepEqual(
    accepted(g.logs, 'Cluster', mark).map((l) => l.replace(/^.*: (\d+ added)/, '$1')),
    ['1 added or changed (outbound|8080||web.default.svc.cluster.local), 0 removed'],
  );
  for (const type of ['Listener', 'ClusterLoadAssignment', 'RouteConfiguration'])
    assert.deepEqual(
      accepted(g.logs, type, mark).map((l) => l.replace(/^.*: (\d+ added)/, '$1')),
      ['0 added or changed, 0 removed'],
      type,
    );
});

test('a proxy on GRPC (state of the world) gets the same config from the same control plane', async () => {
  const other = scene.addPod('gw-1', { istio: 'test-gw' }, [18080]);
  const sotw = await scene.proxy('router', other, 'GRPC');
  const conn = scene.cp.server.connections().find((c) => c.proxy.id === sotw.proxy.bootstrap.node.id);
  assert.equal(conn?.protocol, 'SOTW');
  const r = await request(18080, '/', { host: other.ip });
  assert.equal(r.json<{ name: string }>().name, 'web-0');
  await scene.converged();
  for (const t of ['CDS', 'LDS', 'EDS', 'RDS']) assert.equal(scene.status(sotw.proxy)?.[t], 'SYNCED', t);
  assert.deepEqual(
    [...sotw.proxy.clusters.all().map((c) => c.config.name)].sort(),
    [...g.proxy.clusters.all().map((c) => c.config.name)].sort(),
  );
});
