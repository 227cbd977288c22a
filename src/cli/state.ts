// How the kubectl-style commands reach the config store: the state directory from --state-dir or
// CARAVEL_STATE_DIR, relative to the working directory.
import { resolve } from 'node:path';
import { openDurableStore } from '../config/index.ts';
import type { DurableStore } from '../config/index.ts';
import { CARAVEL_STATE_DIR, CARAVEL_STATE_LOCK_TIMEOUT_MS, Settings } from '../settings/index.ts';
import type { Io } from './command.ts';

export const stateDirOption = { 'state-dir': { type: 'string' } } as const;

export const STATE_DIR_USAGE = `      --state-dir DIR   state directory of the local mesh (default: $CARAVEL_STATE_DIR, else .caravel)`;

/** Opens the store, runs `fn`, and closes the store whatever happens. */
export async function withStore<T>(
  stateDir: string | undefined,
  io: Io,
  options: { readOnly?: boolean },
  fn: (store: DurableStore) => Promise<T>,
): Promise<T> {
  const settings = new Settings(io.env);
  const dir = resolve(io.cwd, stateDir ?? settings.get(CARAVEL_STATE_DIR));
  const store = await openDurableStore(dir, {
    readOnly: options.readOnly,
    lockTimeoutMs: settings.get(CARAVEL_STATE_LOCK_TIMEOUT_MS),
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
