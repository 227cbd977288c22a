import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerProcess } from './process.ts';
import type { ProcessSpec } from './process.ts';
import { FIXTURE_APP, groupMembers, isAlive, tempStateDir } from './testing.ts';

const fast = { initialMs: 40, maxMs: 160, resetAfterMs: 60_000 };

function spec(dir: string, env: Record<string, string>, more: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    name: 'app',
    argv: [process.execPath, FIXTURE_APP],
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: dir,
    logPath: join(dir, 'logs', 'app.log'),
    restartPolicy: 'Always',
    backoff: fast,
    ...more,
  };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a crashing container restarts with doubling back-off up to the cap (CrashLoopBackOff)', async () => {
  using state = tempStateDir();
  const messages: string[] = [];
  let previous = '';
  const p = new ContainerProcess(
    spec(state.dir, { FIXTURE_EXIT_AFTER_MS: '10', FIXTURE_EXIT_CODE: '3' }),
    () => {
      const s = p.state;
      if (s.state === 'waiting' && s.reason === 'CrashLoopBackOff' && previous !== 'waiting')
        messages.push(s.message!);
      previous = s.state;
    },
  );
  p.start();
  await until(() => p.restarts >= 4 && p.state.state === 'waiting', 'four restarts');
  await p.stop(1000);
  assert.deepEqual(messages.slice(0, 5), [
    'back-off 40ms restarting failed container app',
    'back-off 80ms restarting failed container app',
    'back-off 160ms restarting failed container app',
    'back-off 160ms restarting failed container app',
    'back-off 160ms restarting failed container app',
  ]);
  const last = p.lastTermination;
  assert.equal(last?.state, 'terminated');
  assert.equal(last?.state === 'terminated' ? last.exitCode : -1, 3);
  assert.match(readFileSync(join(state.dir, 'logs', 'app.log'), 'utf8'), /exiting with 3\n.*exiting with 3/s);
});

test('OnFailure does not restart a clean exit; Never does not restart a failure', async () => {
  using state = tempStateDir();
  const ok = new ContainerProcess(
    spec(state.dir, { FIXTURE_EXIT_AFTER_MS: '0', FIXTURE_EXIT_CODE: '0' }, { restartPolicy: 'OnFailure' }),
  );
  const failed = new ContainerProcess(
    spec(
      state.dir,
      { FIXTURE_EXIT_AFTER_MS: '0', FIXTURE_EXIT_CODE: '2' },
      { restartPolicy: 'Never', logPath: join(state.dir, 'b.log') },
    ),
  );
  ok.start();
  failed.start();
  await until(() => ok.state.state === 'terminated' && failed.state.state === 'terminated', 'both to end');
  await sleep(fast.initialMs * 3);
  assert.deepEqual([ok.state.state, ok.restarts], ['terminated', 0]);
  assert.equal(ok.state.state === 'terminated' && ok.state.reason, 'Completed');
  assert.deepEqual([failed.state.state, failed.restarts], ['terminated', 0]);
  assert.equal(failed.state.state === 'terminated' && failed.state.reason, 'Error');
  await ok.stop(100);
  await failed.stop(100);
});

test('a program that cannot start is a StartError, logged, and retried with back-off', async () => {
  using state = tempStateDir();
  const p = new ContainerProcess({ ...spec(state.dir, {}), argv: ['/nonexistent/program', 'x'] });
  p.start();
  await until(() => p.restarts >= 1 && p.lastTermination !== undefined, 'a retry');
  await p.stop(100);
  const last = p.lastTermination;
  assert.equal(last?.state === 'terminated' && last.reason, 'StartError');
  assert.match(
    readFileSync(join(state.dir, 'logs', 'app.log'), 'utf8'),
    /cannot start \/nonexistent\/program x: spawn \/nonexistent\/program ENOENT/,
  );
});

test('stop: SIGTERM, then SIGKILL after the grace period, to the whole group; no process is left', async () => {
  using state = tempStateDir();
  const p = new ContainerProcess(spec(state.dir, { FIXTURE_IGNORE_SIGTERM: '1', FIXTURE_GRANDCHILD: '1' }));
  p.start();
  const log = join(state.dir, 'logs', 'app.log');
  await until(() => /GRANDCHILD \d+/.test(readFileSync(log, 'utf8')), 'the grandchild');
  const grandchild = Number(/GRANDCHILD (\d+)/.exec(readFileSync(log, 'utf8'))![1]);
  const pgid = p.pgid!;
  assert.deepEqual(groupMembers(pgid).sort(), [pgid, grandchild].sort());
  await p.stop(300);
  assert.deepEqual(groupMembers(pgid), []);
  assert.equal(isAlive(grandchild), false);
  assert.match(readFileSync(log, 'utf8'), /ignoring SIGTERM/);
  assert.equal(p.state.state === 'terminated' && p.state.signal, 'SIGKILL');
});

test('when the main process dies, what it left in its group dies with it', async () => {
  using state = tempStateDir();
  const p = new ContainerProcess(
    spec(state.dir, { FIXTURE_GRANDCHILD: '1', FIXTURE_EXIT_AFTER_MS: '300' }, { restartPolicy: 'Never' }),
  );
  p.start();
  const pgid = p.pgid!;
  const log = join(state.dir, 'logs', 'app.log');
  await until(() => /GRANDCHILD \d+/.test(readFileSync(log, 'utf8')), 'the grandchild');
  const grandchild = Number(/GRANDCHILD (\d+)/.exec(readFileSync(log, 'utf8'))![1]);
  await until(() => p.state.state === 'terminated', 'the exit');
  await until(() => groupMembers(pgid).length === 0, 'the group to be gone', 3000);
  assert.equal(isAlive(grandchild), false);
  await p.stop(100);
});
