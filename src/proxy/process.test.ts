import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../envoy/index.ts';
import { TestAdsServer } from './testing/ads-server.ts';
import { cluster, endpoints, httpListener, route, routeConfig, vhost } from './testing/resources.ts';
import { echoServer, request } from './testing/harness.ts';
import type { Echo } from './testing/harness.ts';

const bin = new URL('../../bin/caravel.mjs', import.meta.url).pathname;
let ads: TestAdsServer;
let slow: Echo;
let dir: string;

before(async () => {
  ads = await (async () => {
    const s = new TestAdsServer();
    await s.start();
    return s;
  })();
  slow = await echoServer('slow', (req, res) => {
    if (req.url !== '/slow') return false;
    setTimeout(() => res.end('finished'), 400);
    return true;
  });
  dir = mkdtempSync(join(tmpdir(), 'caravel-proxy-cli-'));
});

after(async () => {
  await ads.stop();
  await slow.close();
  rmSync(dir, { recursive: true, force: true });
});

function startCli(bootstrap: string): {
  child: ChildProcess;
  output: () => string;
  line: (re: RegExp) => Promise<RegExpExecArray>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [bin, 'proxy', '--bootstrap', bootstrap], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exit,
    line: (re) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line ${re} in:\n${out}`)), 15_000);
        const check = () => {
          const m = re.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        };
        waiters.push(check);
        check();
      }),
  };
}

test('a bad bootstrap is refused with the file, line and field', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    'node:\n  id: nonsense\n  cluster: x\nxds:\n  address: 127.0.0.1:15010\nadmin:\n  address: 10.0.0.1:15000\n',
  );
  const cli = startCli(file);
  assert.equal(await cli.exit, 1);
  assert.match(
    cli.output(),
    new RegExp(`error: invalid bootstrap:\\n  ${file.replace(/[.]/g, '\\.')}:2: node\\.id: must be sidecar~`),
  );
});

test('caravel proxy runs from a bootstrap file, serves traffic, and drains in-flight requests on SIGTERM', async () => {
  ads.set(CLUSTER_TYPE, [cluster('slow')]);
  ads.set(ENDPOINT_TYPE, [endpoints('slow', [{ host: '127.0.0.1', port: slow.port }])]);
  ads.set(LISTENER_TYPE, [httpListener('main', '127.0.0.2', 0, { rds: 'r' })]);
  ads.set(ROUTE_TYPE, [routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, 'slow')])])]);
  const file = join(dir, 'bootstrap.yaml');
  writeFileSync(
    file,
    [
      'node:',
      '  id: sidecar~127.0.0.2~cli-1.default~default.svc.cluster.local',
      '  cluster: cli.default',
      '  metadata: {NAMESPACE: default, INTERCEPTION_MODE: NONE}',
      'xds:',
      `  address: ${ads.address}`,
      'admin:',
      '  address: 127.0.0.2:0',
      'drainDuration: 3s',
    ].join('\n'),
  );
  const cli = startCli(file);
  const adminPort = Number((await cli.line(/admin on 127\.0\.0\.2:(\d+)/))[1]);
  await cli.line(/proxy is ready/);
  const listeners = await (await fetch(`http://127.0.0.2:${adminPort}/listeners`)).text();
  const port = Number(/main::127\.0\.0\.2:(\d+)/.exec(listeners)![1]);
  assert.equal((await request(port, '/fast', { host: '127.0.0.2' })).status, 200);
  const inFlight = request(port, '/slow', { host: '127.0.0.2' });
  await new Promise((r) => setTimeout(r, 100));
  cli.child.kill('SIGTERM');
  const r = await inFlight;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'finished');
  assert.equal(await cli.exit, 0);
  assert.match(cli.output(), /draining for 3000ms/);
});

test('--concurrency 2 runs two workers sharing the listener; /stats adds up both', async () => {
  ads.set(CLUSTER_TYPE, [cluster('slow')]);
  ads.set(ENDPOINT_TYPE, [endpoints('slow', [{ host: '127.0.0.1', port: slow.port }])]);
  ads.set(LISTENER_TYPE, [httpListener('main', '127.0.0.2', 0, { rds: 'r' })]);
  ads.set(ROUTE_TYPE, [routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, 'slow')])])]);
  const file = join(dir, 'workers.yaml');
  writeFileSync(
    file,
    [
      'node:',
      '  id: sidecar~127.0.0.3~workers-1.default~default.svc.cluster.local',
      '  cluster: workers.default',
      'xds:',
      `  address: ${ads.address}`,
      'admin:',
      '  address: 127.0.0.3:0',
      'drainDuration: 1s',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [bin, 'proxy', '--bootstrap', file, '--concurrency', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const until = async (re: RegExp, count = 1) => {
    for (let i = 0; i < 300 && (out.match(new RegExp(re, 'g')) ?? []).length < count; i++)
      await new Promise((r) => setTimeout(r, 50));
    const m = re.exec(out);
    assert.ok(m, out);
    return m;
  };
  const adminPort = Number((await until(/admin on 127\.0\.0\.3:(\d+)/))[1]);
  await until(/proxy is ready/, 2);
  const listeners = await (await fetch(`http://127.0.0.3:${adminPort}/listeners`)).text();
  const port = Number(/main::127\.0\.0\.2:(\d+)/.exec(listeners)![1]);
  for (let i = 0; i < 20; i++)
    assert.equal((await request(port, '/fast', { host: '127.0.0.2' })).status, 200);
  const stats = await (
    await fetch(
      `http://127.0.0.3:${adminPort}/stats?filter=^(cluster\\.slow\\.upstream_rq_total|server\\.concurrency)$`,
    )
  ).text();
  assert.match(stats, /^cluster\.slow\.upstream_rq_total: 20$/m);
  assert.match(stats, /^server\.concurrency: 2$/m);
  assert.equal((await fetch(`http://127.0.0.3:${adminPort}/quitquitquit`, { method: 'POST' })).status, 200);
  assert.equal(await exit, 0);
});
