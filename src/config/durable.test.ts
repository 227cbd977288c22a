import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StateCorruptError } from '../errors/index.ts';
import { openDurableStore } from './durable.ts';
import { StateLockedError, StateTooNewError } from './errors.ts';
import { LOCK_FILE } from './lock.ts';
import { STATE_FILE } from './state-file.ts';
import type { StoreEvent } from './store.ts';
import { fixture, gatewayYaml, manifests } from './testing.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'caravel-state-'));
  roots.push(d);
  return join(d, 'state');
}

function writer(args: string[]): ChildProcess {
  return spawn(process.execPath, [fixture('writer.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Resolves once the child has exited and all its output has been read. */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

test('the state survives a restart: a new instance reads the same objects and versions', async () => {
  const dir = tempDir();
  const first = await openDurableStore(dir);
  await first.apply(manifests(gatewayYaml('gw', { host: 'a.example.com' })));
  const before = first.get({ kind: 'Gateway', namespace: 'default', name: 'gw' })!;
  await first.close();

  const second = await openDurableStore(dir);
  assert.equal(second.revision, 2);
  const after = second.get({ kind: 'Gateway', namespace: 'default', name: 'gw' })!;
  assert.deepEqual(after, before);
  assert.equal(
    second.entry({ kind: 'Namespace', name: 'default' })!.resource.metadata.uid,
    first.entry({ kind: 'Namespace', name: 'default' })!.resource.metadata.uid,
  );
  const [out] = await second.apply(manifests(gatewayYaml('gw', { host: 'a.example.com' })));
  assert.equal(out!.action, 'unchanged');
  await second.apply(manifests(gatewayYaml('gw', { host: 'b.example.com' })));
  assert.equal(second.revision, 3);
  await second.close();
  const text = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as { format: number };
  assert.equal(text.format, 1);
});

test('a read-only open of a missing directory creates nothing', async () => {
  const dir = tempDir();
  const store = await openDurableStore(dir, { readOnly: true });
  assert.equal(store.list({ kind: 'Namespace' }).length, 3);
  await store.close();
  assert.equal(existsSync(dir), false);
});

test('a corrupt or truncated state file stops the store, names the file, and is left as it was', async () => {
  const dir = tempDir();
  const store = await openDurableStore(dir);
  await store.apply(manifests(gatewayYaml('gw')));
  await store.close();
  const file = join(dir, STATE_FILE);
  const good = readFileSync(file, 'utf8');
  const damaged = {
    truncated: good.slice(0, Math.floor(good.length / 2)),
    empty: '',
    edited: good.replace('"gw"', '"gx"'),
  };
  for (const [what, text] of Object.entries(damaged)) {
    writeFileSync(file, text);
    await assert.rejects(
      openDurableStore(dir),
      (e: unknown) =>
        e instanceof StateCorruptError && e.message.includes(file) && /move it aside/.test(e.hint ?? ''),
      what,
    );
    assert.equal(readFileSync(file, 'utf8'), text, `${what}: the file must not be touched`);
  }
});

test('a state file from a newer format is refused, naming the directory', async () => {
  const dir = tempDir();
  (await openDurableStore(dir)).close();
  writeFileSync(join(dir, STATE_FILE), JSON.stringify({ format: 99, checksum: '', state: {} }));
  await assert.rejects(
    openDurableStore(dir),
    (e: unknown) =>
      e instanceof StateTooNewError && e.message.includes(dir) && e.message.includes('format 99'),
  );
});

test('a lock left by a dead process is broken; a live holder makes writers wait, then give up', async () => {
  const dir = tempDir();
  const store = await openDurableStore(dir, { lockTimeoutMs: 150 });
  const dead = spawn(process.execPath, ['-e', '']);
  await exited(dead);
  writeFileSync(join(dir, LOCK_FILE), `${dead.pid}\n`);
  await store.apply(manifests(gatewayYaml('one')));
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);

  writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
  await assert.rejects(store.apply(manifests(gatewayYaml('two'))), StateLockedError);
  assert.equal(store.get({ kind: 'Gateway', namespace: 'default', name: 'two' }), undefined);
  await store.close();
});

test('two processes writing at once are serialised: nothing is lost', async () => {
  const dir = tempDir();
  (await openDurableStore(dir)).close();
  const children = [writer(['apply', dir, '12', 'left']), writer(['apply', dir, '12', 'right'])];
  assert.deepEqual(await Promise.all(children.map(exited)), [0, 0]);
  const store = await openDurableStore(dir);
  assert.equal(store.list({ kind: 'Gateway' }).length, 24);
  assert.equal(store.revision, 1 + 24);
  await store.close();
});

test('a watching process sees an apply made by another process', async () => {
  const dir = tempDir();
  const store = await openDurableStore(dir, { watch: true });
  const seen = new Promise<StoreEvent>((resolve) =>
    store.subscribe((e) => {
      if (e.resource.kind === 'VirtualService') resolve(e);
    }),
  );
  const cli = fileURLToPath(new URL('../../bin/caravel.mjs', import.meta.url));
  const child = spawn(process.execPath, [cli, 'apply', '-f', fixture('reviews.yaml'), '--state-dir', dir], {
    stdio: 'ignore',
  });
  assert.equal(await exited(child), 0);
  const event = await seen;
  assert.equal(event.type, 'created');
  assert.equal(event.resource.metadata.name, 'reviews');
  assert.equal(store.list({ kind: 'Service' }).length, 1);
  await store.close();
});

test('a writer killed mid-write leaves one whole committed version, and the next writer proceeds', async () => {
  const dir = tempDir();
  const objects = 40;
  assert.equal(await exited(writer(['setup', dir, String(objects)])), 0);
  let round = 1;
  for (let kill = 0; kill < 5; kill++) {
    const child = writer(['loop', dir, String(round)]);
    let committed = round - 1;
    // Let it commit once, then kill it at a random moment of a later round.
    await new Promise<void>((resolve, reject) => {
      let partial = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) committed = Number(/^committed (\d+)$/.exec(line)?.[1] ?? committed);
        if (committed >= round) resolve();
      });
      child.once('close', (code) => reject(new Error(`the writer exited (${code}) before committing`)));
    });
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
    child.kill('SIGKILL');
    await exited(child);

    const store = await openDurableStore(dir);
    const big = store.list({ kind: 'Gateway' }).filter((g) => g.metadata.name.startsWith('big-'));
    assert.equal(big.length, objects);
    const rounds = new Set(big.map((g) => g.metadata.labels.round));
    assert.equal(rounds.size, 1, 'every object comes from the same committed round');
    const found = Number([...rounds][0]);
    assert.ok(found === committed || found === committed + 1, `round ${found} after ${committed} committed`);
    // The killed writer may have held the lock: the next write must still go through.
    await store.apply(manifests(gatewayYaml(`after-${kill}`)));
    await store.close();
    round = found + 1;
  }
});
