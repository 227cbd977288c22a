// The writer lock of a state directory: a lock file holding the owner's pid, created atomically
// (written under a private name, then hard-linked into place, so it is never seen half-written).
// A lock whose pid is gone is stale and is broken, under a second lock so two breakers never race.
import { link, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateLockedError } from './errors.ts';
import { processAlive } from '../common/index.ts';

export const LOCK_FILE = 'config.lock';
const BREAK_FILE = 'config.lock.break';

export interface Lock {
  release(): Promise<void>;
}

async function holder(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

let attempt = 0;

/** Creates `path` holding our pid, or returns false when it exists. */
async function create(path: string): Promise<boolean> {
  const own = `${path}.${process.pid}.${attempt++}`;
  await writeFile(own, `${process.pid}\n`);
  try {
    await link(own, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(own, { force: true });
  }
}

/** Removes the lock if `stalePid` still holds it. */
async function breakStale(dir: string, stalePid: number): Promise<void> {
  const breaker = join(dir, BREAK_FILE);
  if (!(await create(breaker))) {
    const other = await holder(breaker);
    // A breaker that died mid-break leaves its file behind; it is as stale as the lock it broke.
    if (other !== undefined && !processAlive(other)) await rm(breaker, { force: true });
    return;
  }
  try {
    const path = join(dir, LOCK_FILE);
    if ((await holder(path)) === stalePid) await rm(path, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

/** Waits for the writer lock of `dir`, breaking it when its owner is gone. */
export async function acquireLock(dir: string, timeoutMs: number): Promise<Lock> {
  const path = join(dir, LOCK_FILE);
  const started = Date.now();
  let delay = 2;
  for (;;) {
    if (await create(path)) {
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    }
    const pid = await holder(path);
    if (pid !== undefined && !processAlive(pid)) {
      await breakStale(dir, pid);
      continue;
    }
    if (Date.now() - started >= timeoutMs) throw new StateLockedError(path, pid, timeoutMs);
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

/** Removes the private files of lock attempts whose process died between writing and linking them. */
export async function removeDeadAttempts(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = /^config\.lock(?:\.break)?\.(\d+)\.\d+$/.exec(name);
    if (m && !processAlive(Number(m[1]))) await rm(join(dir, name), { force: true });
  }
}
