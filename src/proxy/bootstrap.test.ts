import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapFrom, loadBootstrap } from './bootstrap.ts';
import { BootstrapError } from './errors.ts';

const good = {
  node: {
    id: 'router~127.1.0.2~ingress-0.istio-system~istio-system.svc.cluster.local',
    cluster: 'istio-ingressgateway.istio-system',
    metadata: { NAMESPACE: 'istio-system' },
  },
  xds: { address: '127.0.0.1:15010' },
  admin: { address: '127.1.0.2:15000' },
  readiness: { address: '127.1.0.2:15021' },
  drainDuration: '2s',
};

test('a valid bootstrap becomes a frozen typed object with defaults', () => {
  const b = bootstrapFrom(good);
  assert.deepEqual(b.xds.address, { host: '127.0.0.1', port: 15010 });
  assert.equal(b.xds.backoffBaseMs, 500);
  assert.equal(b.xds.backoffMaxMs, 30_000);
  // Incremental xDS unless told otherwise, as Istio's sidecars since 1.22.
  assert.equal(b.xds.apiType, 'DELTA_GRPC');
  assert.equal(b.drainMs, 2000);
  assert.deepEqual(b.readiness, { host: '127.1.0.2', port: 15021 });
  assert.ok(Object.isFrozen(b));
});

test('every problem is reported with its field; the admin API must stay on loopback', () => {
  assert.throws(
    () =>
      bootstrapFrom(
        { ...good, node: { ...good.node, id: 'bad' }, xds: { address: 'nowhere' }, extra: 1 },
        'b.yaml',
      ),
    (e: unknown) => {
      assert.ok(e instanceof BootstrapError);
      assert.match(e.message, /b\.yaml: node\.id: must be sidecar~/);
      assert.match(e.message, /b\.yaml: xds\.address: must be HOST:PORT/);
      assert.match(e.message, /b\.yaml: extra: unknown field/);
      return true;
    },
  );
  assert.throws(
    () => bootstrapFrom({ ...good, admin: { address: '10.0.0.5:15000' } }),
    /admin\.address: 10\.0\.0\.5 is not a loopback address/,
  );
});

test('missing fields, wrong types and bad durations are each reported; absent optional parts get defaults', () => {
  assert.throws(
    () =>
      bootstrapFrom(
        {
          node: { id: good.node.id, cluster: 7, locality: { zone: 'a', planet: 'b' } },
          xds: { address: '127.0.0.1:15010', backoff: { base: 'soon' } },
          readiness: [],
          drainDuration: '5 s',
        },
        'b.json',
        (path) => (path[0] === 'xds' ? 4 : undefined),
      ),
    (e: unknown) => {
      assert.ok(e instanceof BootstrapError);
      const lines = e.message
        .split('\n')
        .slice(1)
        .map((l) => l.trim());
      assert.deepEqual(lines, [
        'b.json: node.cluster: must be a string, not a number',
        'b.json: node.locality.planet: unknown field (known: region, zone, subZone)',
        'b.json:4: xds.backoff.base: must be a duration such as "5s" or "500ms"',
        'b.json: admin: is required',
        'b.json: readiness: must be a mapping',
        'b.json: drainDuration: must be a duration such as "5s" or "500ms"',
      ]);
      return true;
    },
  );
  assert.throws(() => bootstrapFrom('node: x'), /<bootstrap>: \(root\): must be a mapping/);
  const b = bootstrapFrom({
    node: { id: good.node.id, cluster: 'c', locality: { region: 'r' } },
    xds: { address: '[::1]:15010', backoff: { max: '1m' } },
    admin: { address: '[::1]:15000' },
  });
  assert.deepEqual(b.node.metadata, {});
  assert.equal(b.node.locality?.region, 'r');
  assert.deepEqual(b.xds, {
    address: { host: '::1', port: 15010 },
    apiType: 'DELTA_GRPC',
    backoffBaseMs: 500,
    backoffMaxMs: 60_000,
  });
  assert.equal(b.readiness, undefined);
  assert.equal(b.drainMs, 5000);
});

test('a JSON or YAML bootstrap file is read; a bad field in either is located by line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'caravel-bootstrap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'b.json');
  writeFileSync(json, `${JSON.stringify(good, null, 2)}\n`);
  assert.equal((await loadBootstrap(json)).drainMs, 2000);
  const yaml = join(dir, 'b.yaml');
  writeFileSync(
    yaml,
    `node:\n  id: ${good.node.id}\n  cluster: c\nxds: {address: '127.0.0.1:15010'}\nadmin: {address: '127.0.0.9:15000'}\n`,
  );
  assert.equal((await loadBootstrap(yaml)).admin.host, '127.0.0.9');
  writeFileSync(json, JSON.stringify({ ...good, drainDuration: 'later' }, null, 2));
  await assert.rejects(loadBootstrap(json), /b\.json:\d+: drainDuration: must be a duration/);
  writeFileSync(json, '{"node": ');
  await assert.rejects(
    loadBootstrap(json),
    (e: unknown) => e instanceof BootstrapError && /b\.json:1/.test(e.message),
  );
  await assert.rejects(loadBootstrap(join(dir, 'missing.json')), /cannot read bootstrap/);
});

test('xds.apiType chooses the ADS protocol by its Envoy name; anything else is located and refused', async (t) => {
  for (const apiType of ['GRPC', 'DELTA_GRPC'] as const)
    assert.equal(bootstrapFrom({ ...good, xds: { ...good.xds, apiType } }).xds.apiType, apiType);
  assert.throws(
    () => bootstrapFrom({ ...good, xds: { ...good.xds, apiType: 7 } }, 'b.json'),
    /b\.json: xds\.apiType: must be a string, not a number/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'caravel-bootstrap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const yaml = join(dir, 'b.yaml');
  writeFileSync(
    yaml,
    `node:\n  id: ${good.node.id}\n  cluster: c\nxds:\n  address: 127.0.0.1:15010\n  apiType: delta\nadmin: {address: '127.0.0.9:15000'}\n`,
  );
  await assert.rejects(
    loadBootstrap(yaml),
    (e: unknown) =>
      e instanceof BootstrapError &&
      /b\.yaml:6: xds\.apiType: must be GRPC or DELTA_GRPC, not "delta"/.test(e.message),
  );
});
