import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const bin = new URL('../../../bin/caravel.mjs', import.meta.url).pathname;
const cli = new URL('../index.ts', import.meta.url).href;
let dir: string;
let bootstrap: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'caravel-proxy-command-'));
  bootstrap = join(dir, 'bootstrap.json');
  writeFileSync(
    bootstrap,
    JSON.stringify({
      node: { id: 'sidecar~127.0.0.1~p-0.default~default.svc.cluster.local', cluster: 'p.default' },
      // Nothing listens on port 1: the proxy keeps retrying, which is all these tests need.
      xds: { address: '127.0.0.1:1', backoff: { base: '5s', max: '5s' } },
      admin: { address: '127.0.0.1:0' },
    }),
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('caravel proxy loads the proxy alone: not the rest of the command line, zod or proto-loader', async () => {
  // The child records every module it loads, then runs the command up to its first xDS attempt.
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const { main } = await import(${JSON.stringify(cli)});
    setTimeout(() => { console.log(JSON.stringify(loaded)); process.kill(process.pid, 'SIGTERM'); }, 300);
    await main(['proxy', '--bootstrap', ${JSON.stringify(bootstrap)}, '--log-level', 'error']);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
  const loaded = JSON.parse(stdout) as string[];
  const has = (part: string) => loaded.some((url) => url.includes(part));
  assert.ok(has('/src/proxy/proxy.ts') && has('/@grpc/grpc-js/'), 'the proxy itself is loaded');
  for (const part of [
    '/src/cli/commands/index.ts',
    '/src/cli/commands/up.ts',
    '/src/xds/',
    '/src/runtime/',
    '/src/api/schema/primitives.ts',
    '/node_modules/zod/',
    '/node_modules/yaml/',
    '/@grpc/proto-loader/',
  ])
    assert.ok(!has(part), `${part} is not loaded`);
});

/** Starts `caravel proxy` with `env`; returns its command line (from /proc) once it runs. */
async function startedProxy(env: NodeJS.ProcessEnv): Promise<string[]> {
  const child = spawn(process.execPath, [bin, 'proxy', '--bootstrap', bootstrap, '--log-level', 'info'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('started;')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`proxy exited with ${code}: ${err}`)));
    });
    // The pid stays the same when bin/caravel.mjs re-executes node with the proxy's settings.
    return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

test('the proxy runs with its V8 settings, unless its node is told otherwise', async () => {
  const { NODE_OPTIONS: _, ...base } = process.env;
  const ours = await startedProxy(base);
  assert.ok(ours.includes('--max-semi-space-size=4'), ours.join(' '));
  assert.ok(ours.includes('--no-allocation-site-pretenuring'), ours.join(' '));
  const theirs = await startedProxy({ ...base, NODE_OPTIONS: '--max-semi-space-size=8' });
  assert.ok(!theirs.some((a) => a.startsWith('--max-semi-space-size')), theirs.join(' '));
});
