import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerEnv } from './env.ts';
import type { WorkloadError } from './errors.ts';
import { planDeployment, planDeployments, wantsSidecar } from './pod-plan.ts';
import { deployment, FIXTURE_APP } from './testing.ts';

const pod = { name: 'web-abc-x', namespace: 'shop', podIP: '127.1.0.9', appAddress: '127.2.0.9', uid: 'u1' };

test('a Deployment plans its pods: labels with pod-template-hash, service account, ports, argv', () => {
  const d = deployment({
    name: 'web',
    namespace: 'shop',
    replicas: 3,
    ports: [8080, 9090],
    labels: { version: 'v1' },
  });
  const plan = planDeployment(d, {});
  assert.equal(plan.replicas, 3);
  assert.match(plan.hash, /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  assert.deepEqual(plan.labels, { app: 'web', version: 'v1', 'pod-template-hash': plan.hash });
  assert.equal(plan.template.metadata?.labels?.['pod-template-hash'], plan.hash);
  assert.equal(plan.serviceAccount, 'default');
  assert.equal(plan.sidecar, false);
  assert.equal(plan.terminationGraceMs, 2000);
  assert.deepEqual(plan.strategy, { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
  const [c] = plan.containers;
  assert.deepEqual(c?.argv, [process.execPath, FIXTURE_APP]);
  assert.deepEqual(
    c?.ports.map((p) => p.containerPort),
    [8080, 9090],
  );
});

test('the template hash is stable for the same template and changes with it', () => {
  const a = planDeployment(deployment({ name: 'web', replicas: 1, env: { A: '1' } }), {});
  const b = planDeployment(deployment({ name: 'web', replicas: 5, env: { A: '1' } }), {});
  const c = planDeployment(deployment({ name: 'web', replicas: 1, env: { A: '2' } }), {});
  assert.equal(a.hash, b.hash, 'replicas are not part of the template');
  assert.notEqual(a.hash, c.hash);
});

test('catalogued images need no annotation and add their env', () => {
  const d = deployment({
    name: 'reviews-v2',
    image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.20.1',
    command: null,
    ports: [9080],
  });
  const plan = planDeployment(d, {});
  const c = plan.containers[0]!;
  assert.match(c.argv[1]!, /samples\/bookinfo\/src\/reviews\.ts$/);
  assert.deepEqual(c.imageEnv, { SERVICE_VERSION: 'v2' });
  assert.equal(c.catalogue, 'istio/examples-bookinfo-reviews-v*');
});

test('an image with neither a catalogue entry nor an annotation fails that Deployment alone', () => {
  const outcomes = planDeployments(
    [
      deployment({ name: 'mystery', image: 'example.com/mystery:2', command: null }),
      deployment({ name: 'ok' }),
    ],
    () => ({}),
  );
  assert.equal(outcomes[1]?.ok, true);
  const bad = outcomes[0]!;
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  assert.equal(bad.error.code, 'RUNTIME_UNKNOWN_IMAGE');
  assert.match(
    bad.error.message,
    /deployment default\/mystery \(test\.yaml:1\), container mystery: image example\.com\/mystery:2/,
  );
  assert.match(bad.error.hint ?? '', /caravel\.io\/command/);
});

test('env: values, $(VAR) references, pod fields; unsupported sources are named', () => {
  const d = deployment({
    name: 'web',
    namespace: 'shop',
    ports: [8080],
    env: { GREETING: 'hi $(POD_NAME)', LITERAL: '$$(POD_NAME)' },
    envFrom: [
      { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MY_APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
    ],
  });
  const plan = planDeployment(d, { 'istio-injection': 'enabled' });
  const env = containerEnv(plan, plan.containers[0]!, pod, { PATH: '/bin' });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.HOST, '127.2.0.9');
  assert.equal(env.PORT, '8080');
  assert.equal(env.POD_NAME, 'web-abc-x');
  assert.equal(env.POD_NAMESPACE, 'shop');
  assert.equal(env.POD_IP, '127.1.0.9');
  assert.equal(env.SERVICE_ACCOUNT, 'default');
  assert.equal(env.HTTP_PROXY, 'http://127.1.0.9:15001');
  assert.equal(env.http_proxy, 'http://127.1.0.9:15001');
  assert.match(env.NO_PROXY!, /127\.2\.0\.9/);
  assert.equal(env.GREETING, 'hi web-abc-x');
  assert.equal(env.LITERAL, '$(POD_NAME)');
  assert.equal(env.MY_NAME, 'web-abc-x');
  assert.equal(env.MY_NS, 'shop');
  assert.equal(env.MY_IP, '127.1.0.9');
  assert.equal(env.MY_APP, 'web');

  const noSidecar = planDeployment(d, {});
  assert.equal(containerEnv(noSidecar, noSidecar.containers[0]!, pod, {}).HTTP_PROXY, undefined);

  for (const [source, message] of [
    [{ fieldRef: { fieldPath: 'status.phase' } }, /fieldRef status\.phase is not supported in local mode/],
    [{ secretKeyRef: { name: 's', key: 'k' } }, /valueFrom\.secretKeyRef is not supported/],
  ] as const) {
    const bad = deployment({ name: 'web', envFrom: [{ name: 'X', valueFrom: source }] });
    assert.throws(
      () => planDeployment(bad, {}),
      (e: WorkloadError) => {
        assert.equal(e.code, 'RUNTIME_UNSUPPORTED_FIELD');
        assert.match(e.message, /container web, env\[0\] X/);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

test("sidecar injection follows Istio's namespace label and pod overrides", () => {
  assert.equal(wantsSidecar({ 'istio-injection': 'enabled' }, {}, {}), true);
  assert.equal(wantsSidecar({}, {}, {}), false);
  assert.equal(
    wantsSidecar({ 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'false' }, {}),
    false,
  );
  assert.equal(
    wantsSidecar({ 'istio-injection': 'enabled' }, {}, { 'sidecar.istio.io/inject': 'false' }),
    false,
  );
  assert.equal(wantsSidecar({}, { 'sidecar.istio.io/inject': 'true' }, {}), true);
  assert.equal(
    wantsSidecar({ 'istio-injection': 'disabled' }, { 'sidecar.istio.io/inject': 'true' }, {}),
    false,
  );
  const gateway = deployment({
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
    image: 'docker.io/istio/proxyv2:1.22.0',
    command: null,
  });
  const plan = planDeployment(gateway, { 'istio-injection': 'enabled' });
  assert.equal(plan.containers[0]?.role, 'proxy');
  assert.equal(plan.sidecar, false, 'a gateway is a proxy itself');
});

test('rolling update limits resolve from percentages; Recreate is kept', () => {
  const p = planDeployment(
    deployment({
      name: 'web',
      replicas: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '30%', maxUnavailable: '25%' } },
    }),
    {},
  );
  assert.deepEqual(p.strategy, { type: 'RollingUpdate', maxSurge: 3, maxUnavailable: 2 });
  assert.deepEqual(planDeployment(deployment({ name: 'web', strategy: { type: 'Recreate' } }), {}).strategy, {
    type: 'Recreate',
  });
});
