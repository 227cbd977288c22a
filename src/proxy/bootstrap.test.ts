import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapFrom } from './bootstrap.ts';
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
      assert.match(e.message, /Unrecognized key/);
      return true;
    },
  );
  assert.throws(
    () => bootstrapFrom({ ...good, admin: { address: '10.0.0.5:15000' } }),
    /admin\.address: 10\.0\.0\.5 is not a loopback address/,
  );
});
