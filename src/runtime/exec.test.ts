import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PodNotFoundError } from './errors.ts';
import { planExec, podTableOf, resolveContainer, resolvePod } from './exec.ts';
import type { ContainerRecord, PodRecord, PodTable } from './pod-table.ts';
import { formatAge, podRows } from './pod-table.ts';
import { tempStateDir } from './testing.ts';

function container(name: string, env: Record<string, string> = {}, catalogue?: string): ContainerRecord {
  return {
    name,
    image: 'x',
    ready: true,
    restarts: 0,
    state: { state: 'running', startedAt: 0, pid: 1 },
    argv: [],
    env,
    ports: [],
    ...(catalogue ? { catalogue } : {}),
  };
}

function pod(name: string, deployment: string, more: Partial<PodRecord> = {}): PodRecord {
  return {
    name,
    namespace: 'default',
    deployment,
    hash: 'h',
    uid: 'u',
    labels: {},
    serviceAccount: 'default',
    podIP: '127.1.0.1',
    appAddress: '127.2.0.1',
    sidecar: false,
    gateway: false,
    createdAt: 1,
    phase: 'Running',
    reason: 'Running',
    ready: true,
    readyText: '1/1',
    restarts: 0,
    containers: [container(deployment)],
    ...more,
  };
}

const fortioEnv = {
  HTTP_PROXY: 'http://127.1.0.3:15001',
  http_proxy: 'http://127.1.0.3:15001',
  POD_NAME: 'fortio-deploy-h-aaaaa',
};
const table: PodTable = {
  runtime: { pid: 1, startedAt: 0 },
  updatedAt: 0,
  errors: [],
  pods: [
    pod('web-h-bbbbb', 'web', { ready: false, createdAt: 1 }),
    pod('web-h-ccccc', 'web', { createdAt: 2 }),
    pod('fortio-deploy-h-aaaaa', 'fortio-deploy', {
      sidecar: true,
      containers: [
        container('istio-proxy', { POD_NAME: 'fortio-deploy-h-aaaaa' }),
        container('fortio', fortioEnv, 'fortio/fortio'),
      ],
    }),
    pod('api-h-ddddd', 'api', { namespace: 'shop' }),
  ],
};

test('targets name a pod, pod/NAME or deploy/NAME (its first ready pod)', () => {
  assert.equal(resolvePod(table, 'web-h-bbbbb', 'default').name, 'web-h-bbbbb');
  assert.equal(resolvePod(table, 'pod/web-h-bbbbb', 'default').name, 'web-h-bbbbb');
  assert.equal(resolvePod(table, 'deploy/web', 'default').name, 'web-h-ccccc');
  assert.equal(resolvePod(table, 'deployment/api', 'shop').name, 'api-h-ddddd');
  const cases: [string, RegExp, RegExp][] = [
    ['api-h-ddddd', /pod "api-h-ddddd" not found in namespace "default"/, /add -n shop/],
    ['deploy/nope', /deployment "nope" has no pods in namespace "default"/, /fortio-deploy, web/],
    ['svc/web', /cannot exec into or read logs of "svc\/web"/, /deploy\/NAME/],
  ];
  for (const [target, message, hint] of cases)
    assert.throws(
      () => resolvePod(table, target, 'default'),
      (e: PodNotFoundError) => {
        assert.equal(e.code, 'RUNTIME_POD_NOT_FOUND');
        assert.match(e.message, message);
        assert.match(e.hint ?? '', hint);
        return true;
      },
    );
});

test('the default container is the first app container; -c picks any, the sidecar included', () => {
  const fortio = resolvePod(table, 'deploy/fortio-deploy', 'default');
  assert.deepEqual(
    [resolveContainer(fortio, undefined).container.name, resolveContainer(fortio, undefined).defaulted],
    ['fortio', true],
  );
  assert.equal(resolveContainer(fortio, 'istio-proxy').container.name, 'istio-proxy');
  assert.throws(
    () => resolveContainer(fortio, 'nope'),
    /container "nope" not found in pod fortio-deploy-h-aaaaa/,
  );
});

test("exec runs the image's command as Caravel's, with the pod's env over the host's", () => {
  const fortio = resolvePod(table, 'deploy/fortio-deploy', 'default');
  const { container: c } = resolveContainer(fortio, 'fortio');
  const host = {
    PATH: '/usr/bin',
    HOME: '/root',
    HTTP_PROXY: 'http://corp:3128',
    https_proxy: 'http://corp:3128',
  };
  const load = planExec(
    fortio,
    c,
    ['/usr/bin/fortio', 'load', '-c', '2', '-qps', '0', '-n', '20', 'http://httpbin:8000/get'],
    {
      hostEnv: host,
      caravel: ['/opt/node', '/opt/caravel.mjs'],
    },
  );
  assert.deepEqual(load.argv, [
    '/opt/node',
    '/opt/caravel.mjs',
    'load',
    '-c',
    '2',
    '-qps',
    '0',
    '-n',
    '20',
    'http://httpbin:8000/get',
  ]);
  assert.equal(load.env.HTTP_PROXY, 'http://127.1.0.3:15001');
  assert.equal(load.env.http_proxy, 'http://127.1.0.3:15001');
  assert.equal(load.env.https_proxy, undefined, "the host's proxy settings stay out");
  assert.equal(load.env.PATH, '/usr/bin');
  assert.equal(load.env.POD_NAME, 'fortio-deploy-h-aaaaa');
  const curl = planExec(fortio, c, ['curl', '-s', 'http://httpbin:8000/get'], { hostEnv: host });
  assert.deepEqual(curl.argv, ['curl', '-s', 'http://httpbin:8000/get']);
  const web = resolvePod(table, 'deploy/web', 'default');
  const plain = planExec(web, resolveContainer(web, undefined).container, ['caravel', 'load'], {
    hostEnv: host,
  });
  assert.deepEqual(plain.argv, ['caravel', 'load'], 'only sample images are rewritten');
  assert.equal(plain.env.HTTP_PROXY, undefined);
});

test('without a pod table the mesh is reported as not running', () => {
  using state = tempStateDir();
  assert.throws(
    () => podTableOf(state.dir, { running: false }),
    (e: Error & { code: string; hint?: string }) => {
      assert.equal(e.code, 'RUNTIME_NOT_RUNNING');
      assert.match(e.hint ?? '', /caravel up/);
      return true;
    },
  );
});

test("pod rows read like kubectl's: READY n/m, STATUS, RESTARTS, AGE", () => {
  const rows = podRows(table.pods.slice(0, 1), 1 + 3 * 60_000 + 12_000, true);
  assert.deepEqual(rows, [['web-h-bbbbb', '1/1', 'Running', '0', '3m12s', '127.1.0.1']]);
  assert.deepEqual(
    [5_000, 119_000, 600_000, 3 * 3_600_000 + 60_000, 20 * 3_600_000, 50 * 3_600_000, 9 * 86_400_000].map(
      formatAge,
    ),
    ['5s', '119s', '10m', '3h1m', '20h', '2d2h', '9d'],
  );
});
