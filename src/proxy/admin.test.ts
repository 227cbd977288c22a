import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cluster,
  endpoints,
  httpListener,
  route,
  routeConfig,
  staticCluster,
  vhost,
} from './testing/resources.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';

const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

let h: Harness;
let a: Echo;
let dir: string;
let logPath: string;
let port: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'caravel-proxy-'));
  logPath = join(dir, 'access.log');
  h = await startHarness();
  a = await echoServer('a');
  await h.push({
    clusters: [
      cluster('outbound|9080||a.default.svc.cluster.local', {
        circuitBreakers: { thresholds: [{ maxConnections: { value: 7 }, maxRetries: { value: 2 } }] },
      }),
      staticCluster('refused', [['127.0.0.1', 1]]),
      staticCluster('BlackHoleCluster', []),
    ],
    endpoints: [
      endpoints('outbound|9080||a.default.svc.cluster.local', [{ host: '127.0.0.1', port: a.port }]),
    ],
    listeners: [
      httpListener('127.0.0.1_9080', '127.0.0.1', 0, {
        rds: '9080',
        statPrefix: 'outbound_0.0.0.0_9080',
        extra: {
          accessLog: [
            { name: 'envoy.access_loggers.file', typedConfig: { '@type': FILE_LOG, path: logPath } },
          ],
        },
      }),
    ],
    routes: [
      routeConfig('9080', [
        vhost(
          'a.default.svc.cluster.local:9080',
          ['a', 'a:9080'],
          [route({ prefix: '/' }, 'outbound|9080||a.default.svc.cluster.local', { name: 'default' })],
        ),
        vhost('refused', ['refused'], [route({ prefix: '/' }, 'refused')]),
        vhost('blackhole', ['blackhole'], [route({ prefix: '/' }, 'BlackHoleCluster')]),
      ]),
    ],
  });
  port = h.port('127.0.0.1_9080');
  assert.equal(
    (
      await request(port, '/ok', {
        headers: { host: 'a', 'user-agent': 'test-agent', 'x-request-id': 'rid-1' },
      })
    ).status,
    200,
  );
  assert.equal((await request(port, '/x', { headers: { host: 'nowhere' } })).status, 404);
  assert.equal((await request(port, '/x', { headers: { host: 'refused' } })).status, 503);
  assert.equal((await request(port, '/x', { headers: { host: 'blackhole' } })).status, 503);
});

after(async () => {
  await h.close();
  await a.close();
  rmSync(dir, { recursive: true, force: true });
});

const admin = async (path: string, init?: RequestInit) =>
  fetch(`http://127.0.0.1:${h.adminPort()}${path}`, init);

test('/stats uses Envoy names for cluster, connection manager, listener, server and control plane stats', async () => {
  const text = await (await admin('/stats')).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name.replace(/[|.]/g, '\\$&')}: (\\d+)$`, 'm').exec(text)?.[1]);
  const c = 'cluster.outbound|9080||a.default.svc.cluster.local';
  assert.equal(value(`${c}.upstream_rq_total`), 1);
  assert.equal(value(`${c}.upstream_rq_200`), 1);
  assert.equal(value(`${c}.upstream_rq_2xx`), 1);
  assert.equal(value(`${c}.upstream_cx_total`), 1);
  assert.equal(value(`${c}.upstream_cx_active`), 1);
  assert.equal(value('cluster.refused.upstream_cx_connect_fail'), 1);
  assert.equal(value('http.outbound_0.0.0.0_9080.downstream_rq_total'), 4);
  assert.equal(value('http.outbound_0.0.0.0_9080.downstream_rq_2xx'), 1);
  assert.equal(value('http.outbound_0.0.0.0_9080.downstream_rq_4xx'), 1);
  assert.equal(value('http.outbound_0.0.0.0_9080.downstream_rq_5xx'), 2);
  assert.equal(value(`listener.127.0.0.1_0.downstream_cx_total`), 4);
  assert.equal(value('server.live'), 1);
  assert.ok(value('server.uptime') >= 0);
  assert.equal(value('control_plane.connected_state'), 1);
  const filtered = await (await admin('/stats?filter=^server\\.')).text();
  assert.ok(
    filtered
      .split('\n')
      .filter(Boolean)
      .every((l) => l.startsWith('server.')),
  );
  assert.equal((await admin('/stats?filter=(')).status, 400);
});

test('/stats/prometheus renders Envoy tag extraction', async () => {
  const text = await (await admin('/stats/prometheus')).text();
  assert.match(text, /^# TYPE envoy_cluster_upstream_rq_total counter$/m);
  assert.match(
    text,
    /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="outbound\|9080\|\|a\.default\.svc\.cluster\.local"\} 1$/m,
  );
  assert.match(
    text,
    /^envoy_cluster_upstream_rq\{envoy_response_code="200",envoy_cluster_name="outbound\|9080\|\|a\.default\.svc\.cluster\.local"\} 1$/m,
  );
  assert.match(
    text,
    /^envoy_http_downstream_rq_xx\{envoy_response_code_class="5",envoy_http_conn_manager_prefix="outbound_0\.0\.0\.0_9080"\} 2$/m,
  );
  assert.match(text, /^envoy_listener_downstream_cx_total\{envoy_listener_address="127\.0\.0\.1_0"\} 4$/m);
  assert.match(text, /^envoy_server_live 1$/m);
});

test('/clusters prints thresholds and per-host stats in Envoy text format, and JSON', async () => {
  const text = await (await admin('/clusters')).text();
  const c = 'outbound|9080||a.default.svc.cluster.local';
  assert.match(
    text,
    new RegExp(`^${c.replace(/[|.]/g, '\\$&')}::default_priority::max_connections::7$`, 'm'),
  );
  assert.ok(text.includes(`${c}::default_priority::max_retries::2`));
  assert.ok(text.includes(`${c}::default_priority::max_pending_requests::1024`));
  assert.ok(text.includes(`${c}::added_via_api::true`));
  const host = `${c}::127.0.0.1:${a.port}`;
  assert.ok(text.includes(`${host}::rq_total::1`), text);
  assert.ok(text.includes(`${host}::cx_active::1`));
  assert.ok(text.includes(`${host}::health_flags::healthy`));
  assert.ok(text.includes(`${host}::weight::1`));
  const json = (await (await admin('/clusters?format=json')).json()) as {
    cluster_statuses: {
      name: string;
      host_statuses: { address: { socket_address: { port_value: number } } }[];
    }[];
  };
  const status = json.cluster_statuses.find((s) => s.name === c)!;
  assert.equal(status.host_statuses[0]!.address.socket_address.port_value, a.port);
});

test("/config_dump has Envoy's shape with versions and snake_case fields", async () => {
  const dump = (await (await admin('/config_dump')).json()) as { configs: Record<string, unknown>[] };
  const types = dump.configs.map((c) => c['@type']);
  assert.deepEqual(types, [
    'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
    'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
    'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
    'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
  ]);
  const boot = dump.configs[0] as { bootstrap: { node: { id: string; metadata: Record<string, unknown> } } };
  assert.equal(boot.bootstrap.node.id, 'sidecar~127.0.0.1~test-1.default~default.svc.cluster.local');
  assert.equal(boot.bootstrap.node.metadata.NAMESPACE, 'default');
  const clusters = dump.configs[1] as {
    version_info: string;
    dynamic_active_clusters: {
      version_info: string;
      last_updated: string;
      cluster: Record<string, unknown>;
    }[];
  };
  const c = clusters.dynamic_active_clusters.find(
    (x) => x.cluster.name === 'outbound|9080||a.default.svc.cluster.local',
  )!;
  assert.equal(c.cluster['@type'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
  assert.equal(c.cluster.connect_timeout, '1s');
  assert.deepEqual(c.cluster.eds_cluster_config, {
    eds_config: { ads: {} },
    service_name: 'outbound|9080||a.default.svc.cluster.local',
  });
  assert.equal(c.version_info, clusters.version_info);
  assert.ok(!Number.isNaN(Date.parse(c.last_updated)));
  const listeners = dump.configs[2] as {
    dynamic_listeners: {
      name: string;
      active_state: {
        listener: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] };
      };
    }[];
  };
  const hcm =
    listeners.dynamic_listeners[0]!.active_state.listener.filter_chains[0]!.filters[0]!.typed_config;
  assert.equal(
    hcm['@type'],
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  );
  assert.equal(hcm.stat_prefix, 'outbound_0.0.0.0_9080');
  const routes = dump.configs[3] as {
    dynamic_route_configs: { route_config: { name: string; virtual_hosts: unknown[] } }[];
  };
  assert.equal(routes.dynamic_route_configs[0]!.route_config.name, '9080');
  const eds = (await (await admin('/config_dump?include_eds')).json()) as {
    configs: {
      '@type': string;
      dynamic_endpoint_configs?: { endpoint_config: { cluster_name: string } }[];
    }[];
  };
  const endpointsDump = eds.configs.find((x) => x['@type'].endsWith('EndpointsConfigDump'))!;
  assert.equal(
    endpointsDump.dynamic_endpoint_configs![0]!.endpoint_config.cluster_name,
    'outbound|9080||a.default.svc.cluster.local',
  );
  const only = (await (await admin('/config_dump?resource=dynamic_active_clusters')).json()) as {
    configs: unknown[];
  };
  assert.equal(only.configs.length, 3);
});

test('/ready, /server_info, /logging and /listeners', async () => {
  const ready = await admin('/ready');
  assert.equal(ready.status, 200);
  assert.equal(await ready.text(), 'LIVE\n');
  const info = (await (await admin('/server_info')).json()) as { state: string; node: { id: string } };
  assert.equal(info.state, 'LIVE');
  assert.equal(info.node.id, 'sidecar~127.0.0.1~test-1.default~default.svc.cluster.local');
  assert.equal((await admin('/logging?level=debug')).status, 405);
  assert.match(await (await admin('/logging?level=debug', { method: 'POST' })).text(), /caravel: debug/);
  assert.equal(h.proxy.logLevel, 'debug');
  await admin('/logging?level=info', { method: 'POST' });
  assert.match(
    await (await admin('/listeners')).text(),
    new RegExp(`^127\\.0\\.0\\.1_9080::127\\.0\\.0\\.1:${port}$`, 'm'),
  );
  assert.equal((await admin('/quitquitquit')).status, 405);
});

test("the access log has one line per request in Envoy's default format with response flags", async () => {
  await new Promise((r) => setTimeout(r, 50));
  const lines = readFileSync(logPath, 'utf8').trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(
    lines[0]!,
    new RegExp(
      `^\\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] "GET /ok HTTP/1\\.1" 200 - 0 \\d+ \\d+ \\d+ "-" "test-agent" "rid-1" "a" "127\\.0\\.0\\.1:${a.port}"$`,
    ),
  );
  assert.match(lines[1]!, /"GET \/x HTTP\/1\.1" 404 NR 0 0 \d+ - "-" "-" "[0-9a-f-]{36}" "nowhere" "-"$/);
  assert.match(lines[2]!, /" 503 UF 0 \d+ \d+ - .* "refused" "127\.0\.0\.1:1"$/);
  assert.match(lines[3]!, /" 503 UH 0 19 \d+ - .* "blackhole" "-"$/);
});
