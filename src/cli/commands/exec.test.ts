import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalRuntime } from '../../runtime/index.ts';
import type { PodView } from '../../runtime/index.ts';
import { deployment, FIXTURE_PROXY, namespace } from '../../runtime/testing.ts';
import { cliInTempState } from '../testing.ts';

const cli = cliInTempState('caravel-exec-');
let rt: LocalRuntime;
let web: PodView;

before(async () => {
  rt = await LocalRuntime.open({
    stateDir: cli.stateDir,
    addresses: { podOctet: 221, appOctet: 222 },
    probeIntervalMs: 25,
    graceMs: 500,
    proxyCommand: (pod) => ({ argv: [process.execPath, FIXTURE_PROXY, pod.name] }),
  });
  await rt.apply({
    deployments: [deployment({ name: 'web', namespace: 'mesh', ports: [18090], env: { GREETING: 'hello' } })],
    namespaces: [namespace('mesh', { 'istio-injection': 'enabled' })],
  });
  await rt.until((r) => r.pods().length === 1 && r.pods()[0]!.status.ready, 15_000);
  rt.flushTable();
  web = rt.pods()[0]!;
});

after(async () => {
  await rt.stop();
  cli.cleanup();
});

const printEnv = [
  process.execPath,
  '-e',
  'for (const k of process.argv.slice(1)) console.log(`${k}=${process.env[k]}`)',
];

test('exec runs the command with the pod env, its HTTP proxy the sidecar, and returns its status', async () => {
  const r = await cli.run([
    'exec',
    'deploy/web',
    '-n',
    'mesh',
    '--',
    ...printEnv,
    'POD_NAME',
    'http_proxy',
    'GREETING',
    'HOST',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      `POD_NAME=${web.info.name}`,
      `http_proxy=http://${web.info.podIP}:15001`,
      'GREETING=hello',
      `HOST=${web.info.appAddress}`,
    ].join('\n'),
  );
  assert.equal(r.err, 'Defaulted container "web" out of: istio-proxy, web');
  const failed = await cli.run([
    'exec',
    web.info.name,
    '-n',
    'mesh',
    '-c',
    'web',
    '--',
    process.execPath,
    '-e',
    'process.exit(7)',
  ]);
  assert.deepEqual([failed.code, failed.err], [7, '']);
  const help = await cli.run([
    'exec',
    web.info.name,
    '-n',
    'mesh',
    '-c',
    'web',
    '--',
    process.execPath,
    '-e',
    'console.log(process.argv.at(-1))',
    '--',
    '-h',
  ]);
  assert.deepEqual([help.code, help.out], [0, '-h'], '-h after "--" belongs to the command');
});

test('exec: clear errors for a missing pod, a missing program and a missing "--"', async () => {
  const missing = await cli.run(['exec', 'deploy/web', '--', 'env']);
  assert.equal(missing.code, 1);
  assert.match(
    missing.err,
    /^error: deployment "web" has no pods in namespace "default"\n {2}hint: .*use -n/,
  );
  const program = await cli.run(['exec', 'deploy/web', '-n', 'mesh', '--', '/no/such/program']);
  assert.equal(program.code, 1);
  assert.match(program.err, /exec: "\/no\/such\/program": executable file not found/);
  const usage = await cli.run(['exec', 'deploy/web', 'env']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /after "--"/);
});

test("logs prints a container's log, the sidecar's with -c istio-proxy, and follows it", async () => {
  const proxy = await cli.run(['logs', web.info.name, '-n', 'mesh', '-c', 'istio-proxy']);
  assert.equal(proxy.code, 0, proxy.err);
  assert.match(
    proxy.out,
    new RegExp(`^proxy ${web.info.name} ready on ${web.info.podIP.replaceAll('.', '\\.')}:15021$`),
  );
  const app = await cli.run(['logs', 'deploy/web', '-n', 'mesh', '--tail', '1']);
  assert.equal(app.out, `listening on ${web.info.appAddress}:18090`);
  const unknown = await cli.run(['logs', 'nope', '-n', 'mesh']);
  assert.match(unknown.err, /pod "nope" not found in namespace "mesh"/);

  // Follow: the pod's last words arrive, and following ends when the pod stops.
  const following = cli.run(['logs', 'deploy/web', '-n', 'mesh', '-f']);
  await sleep(300);
  await rt.stop();
  const r = await following;
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `listening on ${web.info.appAddress}:18090\nstopping on SIGTERM`);
});
