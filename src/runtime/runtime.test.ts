import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PortInUseError } from './errors.ts';
import { logPath } from './logs.ts';
import { readPodTable } from './pod-table.ts';
import { LocalRuntime } from './runtime.ts';
import type { RuntimeOptions } from './runtime.ts';
import { deployment, FIXTURE_PROXY, groupMembers, namespace, tempStateDir } from './testing.ts';

// Octets of their own, so these pods never meet another test file's (or a running mesh's).
const ADDRESSES = { podOctet: 201, appOctet: 202 };

function options(stateDir: string, more: Partial<RuntimeOptions> = {}): RuntimeOptions {
  return {
    stateDir,
    addresses: ADDRESSES,
    probeIntervalMs: 25,
    graceMs: 500,
    backoff: { initialMs: 30, maxMs: 120, resetAfterMs: 60_000 },
    proxyCommand: (pod, mode) => ({ argv: [process.execPath, FIXTURE_PROXY, `${mode}:${pod.name}`] }),
    ...more,
  };
}

const allReady = (rt: LocalRuntime, n: number) => () => {
  const pods = rt.pods();
  return pods.length === n && pods.every((p) => p.status.ready);
};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('Deployments become ready pods with their env, logs and pod table; scaling and deleting follow', async () => {
  using state = tempStateDir();
  const rt = await LocalRuntime.open(options(state.dir));
  try {
    const web = (replicas: number) =>
      deployment({
        name: 'web',
        namespace: 'shop',
        replicas,
        ports: [18080],
        env: { FIXTURE_PRINT_ENV: '1', GREETING: 'hi' },
      });
    await rt.apply({ deployments: [web(2)], namespaces: [namespace('shop')] });
    await rt.until(allReady(rt, 2), 15_000);
    const [a, b] = rt.pods();
    assert.ok(a && b);
    assert.notEqual(a.info.podIP, b.info.podIP);
    assert.match(a.info.podIP, /^127\.201\.\d+\.\d+$/);
    assert.equal(a.status.readyText, '1/1');
    assert.equal(a.status.reason, 'Running');
    assert.equal(a.info.labels['pod-template-hash'], a.info.hash);

    const log = logPath(state.dir, 'shop', a.info.name, 'web');
    const env = JSON.parse(/^ENV (.*)$/m.exec(readFileSync(log, 'utf8'))![1]!) as Record<string, string>;
    assert.equal(env.HOST, a.info.appAddress);
    assert.equal(env.PORT, '18080');
    assert.equal(env.POD_NAME, a.info.name);
    assert.equal(env.POD_NAMESPACE, 'shop');
    assert.equal(env.POD_IP, a.info.podIP);
    assert.equal(env.SERVICE_ACCOUNT, 'default');
    assert.equal(env.GREETING, 'hi');
    assert.equal(env.HTTP_PROXY, undefined, 'no sidecar, no proxy');

    rt.flushTable();
    const table = readPodTable(state.dir)!;
    assert.equal(table.runtime.pid, process.pid);
    assert.deepEqual(table.pods.map((p) => p.name).sort(), [a.info.name, b.info.name].sort());

    await rt.apply({ deployments: [web(3)], namespaces: [namespace('shop')] });
    await rt.until(allReady(rt, 3), 15_000);
    const before = rt.pods().map((p) => p.info.name);
    assert.ok(
      [a.info.name, b.info.name].every((n) => before.includes(n)),
      'scaling up keeps the pods',
    );

    await rt.apply({ deployments: [web(1)], namespaces: [namespace('shop')] });
    await rt.until(allReady(rt, 1), 15_000);
    const groups = rt.pods().flatMap((p) => p.status.containers.map((c) => c.pid!));
    await rt.apply({ deployments: [], namespaces: [] });
    await rt.until((r) => r.pods().length === 0, 15_000);
    for (const g of groups) assert.deepEqual(groupMembers(g), []);
  } finally {
    await rt.stop();
  }
});

test('a changed template rolls the pods over to new names with the new hash', async () => {
  using state = tempStateDir();
  const rt = await LocalRuntime.open(options(state.dir, { addresses: { podOctet: 203, appOctet: 204 } }));
  try {
    const web = (v: string) => deployment({ name: 'web', replicas: 2, ports: [18081], env: { V: v } });
    await rt.apply({ deployments: [web('1')] });
    await rt.until(allReady(rt, 2), 15_000);
    const oldHash = rt.pods()[0]!.info.hash;
    await rt.apply({ deployments: [web('2')] });
    await rt.until((r) => allReady(r, 2)() && r.pods().every((p) => p.info.hash !== oldHash), 20_000);
    for (const p of rt.pods()) assert.match(p.info.name, new RegExp(`^web-${p.info.hash}-`));
  } finally {
    await rt.stop();
  }
});

test('sidecar pods run the proxy beside the app: READY 2/2, HTTP_PROXY through the pod address', async () => {
  using state = tempStateDir();
  const rt = await LocalRuntime.open(options(state.dir, { addresses: { podOctet: 205, appOctet: 206 } }));
  try {
    await rt.apply({
      deployments: [
        deployment({ name: 'shop', namespace: 'mesh', ports: [18082], env: { FIXTURE_PRINT_ENV: '1' } }),
      ],
      namespaces: [namespace('mesh', { 'istio-injection': 'enabled' })],
    });
    await rt.until(allReady(rt, 1), 15_000);
    const pod = rt.pods()[0]!;
    assert.equal(pod.info.sidecar, true);
    assert.equal(pod.status.readyText, '2/2');
    assert.deepEqual(
      pod.status.containers.map((c) => c.name),
      ['istio-proxy', 'shop'],
    );
    const env = pod.status.containers[1]!.env;
    assert.equal(env.HTTP_PROXY, `http://${pod.info.podIP}:15001`);
    assert.equal(env.http_proxy, `http://${pod.info.podIP}:15001`);
    assert.match(
      readFileSync(logPath(state.dir, 'mesh', pod.info.name, 'istio-proxy'), 'utf8'),
      new RegExp(`proxy sidecar:${pod.info.name} ready`),
    );
  } finally {
    await rt.stop();
  }
});

test('a gateway pod runs the proxy itself in router mode, ready from 15021', async () => {
  using state = tempStateDir();
  const rt = await LocalRuntime.open(options(state.dir, { addresses: { podOctet: 217, appOctet: 218 } }));
  try {
    const gw = deployment({
      name: 'istio-ingressgateway',
      namespace: 'istio-system',
      image: 'docker.io/istio/proxyv2:1.22.0',
      command: null,
      ports: [18084],
    });
    await rt.apply({
      deployments: [gw],
      namespaces: [namespace('istio-system', { 'istio-injection': 'enabled' })],
    });
    await rt.until(allReady(rt, 1), 15_000);
    const pod = rt.pods()[0]!;
    assert.deepEqual([pod.info.gateway, pod.info.sidecar, pod.status.readyText], [true, false, '1/1']);
    assert.deepEqual(pod.status.containers[0]!.argv.slice(-1), [`router:${pod.info.name}`]);
  } finally {
    await rt.stop();
  }
});

test('a crashing pod shows CrashLoopBackOff and counts restarts; a bad Deployment leaves the rest running', async () => {
  using state = tempStateDir();
  const rt = await LocalRuntime.open(options(state.dir, { addresses: { podOctet: 207, appOctet: 208 } }));
  try {
    await rt.apply({
      deployments: [
        deployment({ name: 'crash', env: { FIXTURE_EXIT_AFTER_MS: '5' } }),
        deployment({ name: 'mystery', image: 'example.com/mystery:1', command: null }),
      ],
    });
    await rt.until((r) => (r.pods()[0]?.status.restarts ?? 0) >= 2, 15_000);
    await rt.until((r) => r.pods()[0]?.status.reason === 'CrashLoopBackOff', 5_000);
    assert.equal(rt.pods().length, 1);
    assert.deepEqual(
      rt.errors().map((e) => [e.deployment, e.code]),
      [['mystery', 'RUNTIME_UNKNOWN_IMAGE']],
    );
    rt.flushTable();
    assert.equal(readPodTable(state.dir)!.errors[0]?.deployment, 'mystery');
  } finally {
    await rt.stop();
  }
});

test('a port already in use stops the first start with one clear error, nothing left running', async () => {
  using state = tempStateDir();
  const port = await freePort();
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(port, '0.0.0.0', r));
  const rt = await LocalRuntime.open(
    options(state.dir, { addresses: { podOctet: 209, appOctet: 210 }, retryMs: 50 }),
  );
  try {
    await assert.rejects(
      rt.apply({
        deployments: [deployment({ name: 'ok', ports: [] }), deployment({ name: 'web', ports: [port] })],
      }),
      (e: PortInUseError) => {
        assert.equal(e.code, 'RUNTIME_PORT_IN_USE');
        assert.match(
          e.message,
          new RegExp(
            `^pod default/web-\\w+-\\w+ \\(container web\\): 127\\.210\\.\\d+\\.\\d+:${port} is already in use`,
          ),
        );
        assert.match(e.message, new RegExp(`by process ${process.pid} \\(`));
        assert.match(e.hint ?? '', new RegExp(`stop process ${process.pid}`));
        return true;
      },
    );
    assert.deepEqual(rt.pods(), []);
    // Once the port is free, the same runtime starts pods.
    await new Promise<void>((r) => blocker.close(() => r()));
    await rt.apply({ deployments: [deployment({ name: 'ok', ports: [] })] });
    await rt.until(allReady(rt, 1), 15_000);
    // Later, a pod whose port is taken waits with an error on its Deployment, and starts once it is free.
    await new Promise<void>((r) => blocker.listen(port, '0.0.0.0', r));
    await rt.apply({
      deployments: [deployment({ name: 'ok', ports: [] }), deployment({ name: 'web', ports: [port] })],
    });
    assert.deepEqual(
      rt.errors().map((e) => [e.deployment, e.code]),
      [['web', 'RUNTIME_PORT_IN_USE']],
    );
    assert.equal(rt.pods().length, 1);
    await new Promise<void>((r) => blocker.close(() => r()));
    await rt.until((r) => allReady(r, 2)() && r.errors().length === 0, 15_000);
  } finally {
    await rt.stop();
    if (blocker.listening) await new Promise<void>((r) => blocker.close(() => r()));
  }
});

test('a restart of the runtime brings the pods back under their names and addresses', async () => {
  using state = tempStateDir();
  const opts = options(state.dir, { addresses: { podOctet: 211, appOctet: 212 } });
  const d = deployment({ name: 'web', replicas: 2, ports: [18083] });
  const first = await LocalRuntime.open(opts);
  let before: string[];
  try {
    await first.apply({ deployments: [d] });
    await first.until(allReady(first, 2), 15_000);
    before = first.pods().map((p) => `${p.info.name}@${p.info.podIP}`);
  } finally {
    await first.stop();
  }
  assert.equal(readPodTable(state.dir)!.pods[0]?.reason, 'Stopped');
  const second = await LocalRuntime.open(opts);
  try {
    await second.apply({ deployments: [d] });
    await second.until(allReady(second, 2), 15_000);
    assert.deepEqual(
      second.pods().map((p) => `${p.info.name}@${p.info.podIP}`),
      before,
    );
  } finally {
    await second.stop();
  }
});

test('a second runtime on the same state directory is refused', async () => {
  using state = tempStateDir();
  const rt = await LocalRuntime.open(options(state.dir, { addresses: { podOctet: 213, appOctet: 214 } }));
  try {
    rt.flushTable();
    // Pretend the table was written by another live process: this test's parent.
    const table = readPodTable(state.dir)!;
    const { writeJsonAtomic } = await import('./state-file.ts');
    writeJsonAtomic(`${state.dir}/runtime/pods.json`, {
      ...table,
      runtime: { pid: process.ppid, startedAt: 0 },
    });
    await assert.rejects(LocalRuntime.open(options(state.dir)), { code: 'RUNTIME_ALREADY_RUNNING' });
  } finally {
    await rt.stop();
  }
});

async function startHost(stateDir: string, mode = '') {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const host = spawn(
    process.execPath,
    [fileURLToPath(new URL('./fixtures/host.ts', import.meta.url)), stateDir, '2', mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    host.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('READY')) resolve();
    });
    host.once('exit', (code) => reject(new Error(`host exited with ${code}: ${out}`)));
  });
  const groups = readPodTable(stateDir)!.pods.flatMap((p) => p.containers.map((c) => c.pid!));
  try {
    assert.equal(groups.length, 2);
    for (let i = 0; i < 500 && !groups.every((g) => groupMembers(g).length === 2); i++) await sleep(10);
    for (const g of groups) assert.equal(groupMembers(g).length, 2, 'app and grandchild run');
  } catch (e) {
    host.kill('SIGKILL');
    for (const g of groups) process.kill(-g, 'SIGKILL');
    throw e;
  }
  const exited = new Promise<number | null>((r) =>
    host.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))),
  );
  return { host, groups, exited };
}

test('Ctrl-C on the runtime stops every pod gracefully, grandchildren included', async () => {
  using state = tempStateDir();
  const { host, groups, exited } = await startHost(state.dir, 'signals');
  host.kill('SIGINT');
  assert.equal(await exited, 130);
  for (const g of groups) assert.deepEqual(groupMembers(g), []);
  assert.ok(readPodTable(state.dir)!.pods.every((p) => p.reason === 'Stopped'));
});

test('processes of a runtime that was killed outright are stopped when the next one opens', async () => {
  using state = tempStateDir();
  const { host, groups, exited } = await startHost(state.dir);
  host.kill('SIGKILL');
  await exited;
  for (const g of groups) assert.equal(groupMembers(g).length, 2, 'orphans survive a SIGKILL of the runtime');
  const rt = await LocalRuntime.open(options(state.dir, { addresses: { podOctet: 215, appOctet: 216 } }));
  try {
    for (const g of groups) assert.deepEqual(groupMembers(g), []);
  } finally {
    await rt.stop();
  }
});

test("catalogued sample images run Caravel's samples on the pod's app address", async () => {
  using state = tempStateDir();
  const rt = await LocalRuntime.open(options(state.dir, { addresses: { podOctet: 219, appOctet: 220 } }));
  try {
    await rt.apply({
      deployments: [
        deployment({ name: 'canary-v2', image: 'xianchao/canary:v2', command: null, ports: [18085] }),
        deployment({
          name: 'details-v1',
          image: 'docker.io/istio/examples-bookinfo-details-v1:1.20.1',
          command: null,
          ports: [18086],
        }),
      ],
    });
    await rt.until(allReady(rt, 2), 20_000);
    const [canary, details] = rt.pods();
    const canaryText = await (await fetch(`http://${canary!.info.appAddress}:18085/`)).text();
    assert.equal(canaryText, `canary v2 from ${canary!.info.name}\n`);
    const book = (await (await fetch(`http://${details!.info.appAddress}:18086/details/0`)).json()) as {
      id: number;
    };
    assert.equal(book.id, 0);
  } finally {
    await rt.stop();
  }
});
