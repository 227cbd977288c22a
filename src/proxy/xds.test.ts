import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../envoy/index.ts';
import { TestAdsServer } from './testing/ads-server.ts';
import { cluster, endpoints, httpListener, route, routeConfig, vhost } from './testing/resources.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';
import type { ApiType } from './xds/index.ts';

const routesTo = (name: string) => routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, name)])]);

// The lifecycle runs over both ADS protocols: incremental (the default) and state of the world.
for (const apiType of ['DELTA_GRPC', 'GRPC'] as const satisfies readonly ApiType[])
  describe(`xDS lifecycle over ${apiType}`, () => {
    let h: Harness;
    let a: Echo;
    let b: Echo;

    before(async () => {
      h = await startHarness({ readiness: true, apiType });
      a = await echoServer('a');
      b = await echoServer('b');
    });

    after(async () => {
      await h.close();
      await a.close();
      await b.close();
    });

    test('the first request carries the node identity; readiness waits for the full config', async () => {
      const first = await h.ads.waitFor((r) => r.node !== undefined);
      assert.equal(first.node?.id, 'sidecar~127.0.0.1~test-1.default~default.svc.cluster.local');
      assert.equal(first.node?.cluster, 'test.default');
      const readyUrl = `http://127.0.0.1:${h.proxy.admin.port('readiness')}/healthz/ready`;
      assert.equal((await fetch(readyUrl)).status, 503);
      await h.push({
        clusters: [cluster('a'), cluster('b')],
        endpoints: [
          endpoints('a', [{ host: '127.0.0.1', port: a.port }]),
          endpoints('b', [{ host: '127.0.0.1', port: b.port }]),
        ],
        listeners: [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'main' })],
        routes: [routesTo('a')],
      });
      assert.equal((await fetch(readyUrl)).status, 200);
      const eds = await h.ads.waitFor(
        (r) => r.typeUrl.endsWith('ClusterLoadAssignment') && r.resourceNames.length === 2,
      );
      assert.deepEqual([...eds.resourceNames].sort(), ['a', 'b']);
      const rds = await h.ads.waitFor((r) => r.typeUrl === ROUTE_TYPE && r.resourceNames.length > 0);
      assert.deepEqual(rds.resourceNames, ['r']);
      assert.equal((await request(h.port('main'), '/')).json().name, 'a');
      const protocol = apiType === 'GRPC' ? 'sotw' : 'delta';
      assert.deepEqual(
        h.ads.requests.filter((r) => r.protocol !== protocol),
        [],
      );
      if (apiType === 'DELTA_GRPC') {
        // Clusters and listeners by wildcard; endpoints and routes by the names they need.
        const lds = await h.ads.waitFor((r) => r.typeUrl === LISTENER_TYPE);
        assert.deepEqual(lds.subscribe, ['*']);
        assert.deepEqual((await h.ads.waitFor((r) => r.typeUrl === ROUTE_TYPE)).subscribe, ['r']);
      }
    });

    test('an invalid resource is NACKed with its reason and the last good config keeps serving', async () => {
      const goodVersion = h.ads.version(ROUTE_TYPE);
      const bad = h.ads.set(ROUTE_TYPE, [
        routeConfig('r', [vhost('all', ['*'], [route({ safeRegex: { regex: '(unclosed' } }, 'b')])]),
      ]);
      const nack = await h.ads.waitFor(
        (r) => r.typeUrl === ROUTE_TYPE && r.errorDetail !== undefined && r.versionInfo === goodVersion,
      );
      assert.match(
        nack.errorDetail?.message ?? '',
        /RouteConfiguration r: virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex: invalid RE2 regex/,
      );
      assert.equal(nack.errorDetail?.code, 3);
      assert.notEqual(bad, goodVersion);
      assert.equal((await request(h.port('main'), '/')).json().name, 'a');
      assert.equal(h.proxy.stats.value('rds.update_rejected'), 1);
      // A listener naming an unknown HTTP filter is refused as a whole too.
      const listenersBefore = h.ads.version(LISTENER_TYPE);
      h.ads.set(LISTENER_TYPE, [
        httpListener('main', '127.0.0.1', 0, {
          rds: 'r',
          statPrefix: 'main',
          filters: [
            {
              name: 'no.such.filter',
              typedConfig: { '@type': 'type.googleapis.com/google.protobuf.Struct' },
            },
          ],
        }),
      ]);
      const lnack = await h.ads.waitFor((r) => r.typeUrl === LISTENER_TYPE && r.errorDetail !== undefined);
      assert.equal(lnack.versionInfo, listenersBefore);
      assert.match(lnack.errorDetail?.message ?? '', /unknown HTTP filter "no.such.filter"/);
      assert.equal((await request(h.port('main'), '/')).json().name, 'a');
      // All or nothing: a response changing one cluster and carrying a bad one applies neither.
      const clustersBefore = h.ads.version(CLUSTER_TYPE);
      h.ads.set(CLUSTER_TYPE, [
        cluster('a'),
        cluster('b', { connectTimeout: { seconds: '3' } }),
        cluster('c', { lbPolicy: 'MAGLEV', maglevLbConfig: { tableSize: { value: '100' } } }),
      ]);
      const cnack = await h.ads.waitFor((r) => r.typeUrl === CLUSTER_TYPE && r.errorDetail !== undefined);
      assert.equal(cnack.versionInfo, clustersBefore);
      assert.match(
        cnack.errorDetail?.message ?? '',
        /Cluster c: maglev_lb_config\.table_size: 100 is not a prime/,
      );
      assert.equal(h.proxy.clusters.get('b')?.config.connectTimeoutMs, 1000);
      assert.equal(h.proxy.clusters.get('c'), undefined);
      assert.equal(h.proxy.stats.value('cluster_manager.cds.update_rejected'), 1);
      // The next valid version is accepted again.
      await h.push({
        clusters: [cluster('a'), cluster('b')],
        listeners: [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'main' })],
        routes: [routesTo('a')],
      });
    });

    test('a config change under load drops no request', async () => {
      const port = h.port('main');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      let stop = false;
      const seen = new Map<string, number>();
      const failures: string[] = [];
      const worker = async () => {
        while (!stop) {
          try {
            const r = await request(port, '/', { agent });
            if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
            else
              seen.set(r.json<{ name: string }>().name, (seen.get(r.json<{ name: string }>().name) ?? 0) + 1);
          } catch (e) {
            failures.push((e as Error).message);
          }
        }
      };
      const workers = Array.from({ length: 6 }, worker);
      await new Promise((r) => setTimeout(r, 100));
      await h.push({ routes: [routesTo('b')] });
      await new Promise((r) => setTimeout(r, 100));
      // Listener changes too: the old filter chains drain while new connections use the new ones.
      await h.push({ listeners: [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'main2' })] });
      await new Promise((r) => setTimeout(r, 300));
      await h.push({ clusters: [cluster('a'), cluster('b', { connectTimeout: { seconds: '2' } })] });
      await new Promise((r) => setTimeout(r, 100));
      stop = true;
      await Promise.all(workers);
      agent.destroy();
      assert.deepEqual(failures, []);
      assert.ok((seen.get('a') ?? 0) > 0 && (seen.get('b') ?? 0) > 0, JSON.stringify([...seen]));
      await h.push({ routes: [routesTo('a')] });
    });

    test('a removed listener stops accepting but lets in-flight requests finish', async () => {
      const slow = await echoServer('slow', (req, res) => {
        setTimeout(() => res.end('done'), 150);
        return true;
      });
      try {
        await h.push({
          clusters: [cluster('a'), cluster('b'), cluster('slow')],
          endpoints: [
            endpoints('a', [{ host: '127.0.0.1', port: a.port }]),
            endpoints('b', [{ host: '127.0.0.1', port: b.port }]),
            endpoints('slow', [{ host: '127.0.0.1', port: slow.port }]),
          ],
          listeners: [
            httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'main' }),
            httpListener('extra', '127.0.0.1', 0, {
              statPrefix: 'extra',
              routeConfig: {
                name: 'inline',
                virtualHosts: [
                  {
                    name: 'x',
                    domains: ['*'],
                    routes: [{ match: { prefix: '/' }, route: { cluster: 'slow' } }],
                  },
                ],
              },
            }),
          ],
        });
        const port = h.port('extra');
        const inFlight = request(port, '/');
        // The harness drains for 200 ms; the upstream answers after 150 ms.
        await new Promise((r) => setTimeout(r, 30));
        await h.push({ listeners: [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'main' })] });
        assert.equal(h.proxy.listeners.get('extra'), undefined);
        await assert.rejects(request(port, '/'), /ECONNREFUSED/);
        const r = await inFlight;
        assert.equal(r.status, 200);
        assert.equal(r.body, 'done');
      } finally {
        await slow.close();
      }
    });

    if (apiType === 'DELTA_GRPC')
      test('without a system_version_info, the version reported is a digest of the resources held', async () => {
        h.ads.systemVersions = false;
        try {
          await h.push({ routes: [routesTo('b')] });
          const first = h.proxy.ads.version(ROUTE_TYPE);
          assert.match(first, /^[0-9a-f]{16}$/);
          await h.push({ routes: [routesTo('a')] });
          assert.notEqual(h.proxy.ads.version(ROUTE_TYPE), first);
          await h.push({ routes: [routesTo('b')] });
          assert.equal(h.proxy.ads.version(ROUTE_TYPE), first);
        } finally {
          h.ads.systemVersions = true;
        }
        await h.push({ routes: [routesTo('a')] });
        assert.equal(h.proxy.ads.version(ROUTE_TYPE), h.ads.version(ROUTE_TYPE));
      });

    test('control plane restart: traffic keeps flowing and the proxy reconnects and resubscribes', async () => {
      const port = h.port('main');
      const adsPort = h.ads.port;
      await h.ads.stop();
      // Serving continues from the last good config while the control plane is away.
      for (let i = 0; i < 5; i++) assert.equal((await request(port, '/')).status, 200);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(h.proxy.stats.value('control_plane.connected_state'), 0);
      const revived = new TestAdsServer();
      await revived.start(adsPort);
      try {
        revived.set(CLUSTER_TYPE, [cluster('a'), cluster('b')]);
        revived.set('type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', [
          endpoints('a', [{ host: '127.0.0.1', port: a.port }]),
          endpoints('b', [{ host: '127.0.0.1', port: b.port }]),
        ]);
        revived.set(LISTENER_TYPE, [httpListener('main', '127.0.0.1', 0, { rds: 'r', statPrefix: 'main' })]);
        revived.set(ROUTE_TYPE, [routesTo('b')]);
        const hello = await revived.waitFor((r) => r.node !== undefined && r.typeUrl === CLUSTER_TYPE);
        if (apiType === 'GRPC')
          assert.ok(hello.versionInfo !== '', 'a reconnecting proxy reports the version it has');
        else {
          // A reconnecting delta proxy names what it holds, with each resource's version.
          assert.deepEqual(hello.subscribe, ['*']);
          assert.deepEqual(Object.keys(hello.initialResourceVersions).sort(), ['a', 'b', 'slow']);
          const eds = await revived.waitFor((r) => r.typeUrl === ENDPOINT_TYPE && r.responseNonce === '');
          assert.deepEqual(eds.subscribe, ['a', 'b', 'slow']);
          assert.deepEqual(Object.keys(eds.initialResourceVersions).sort(), ['a', 'b', 'slow']);
        }
        await revived.acked(ROUTE_TYPE);
        assert.equal(h.proxy.stats.value('control_plane.connected_state'), 1);
        assert.equal((await request(port, '/')).json().name, 'b');
      } finally {
        await revived.stop();
      }
    });
  });
