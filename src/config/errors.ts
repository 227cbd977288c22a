// Errors of the config store. Each has a stable code; user-fixable ones carry a hint.
import { CaravelError, ConfigInvalidError } from '../errors/index.ts';
import type { Issue } from '../api/index.ts';

/** An apply that was refused as a whole: `issues` lists every problem, each with file and line. */
export class ApplyRejectedError extends ConfigInvalidError {
  override readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[]) {
    const n = issues.filter((i) => i.severity === 'error').length;
    super(`nothing was applied: ${n} error${n === 1 ? '' : 's'}`, issues, {
      hint: 'fix the documents above and apply again; no object was changed',
    });
    this.issues = issues;
  }
}

/** The state directory was written by a newer Caravel whose format this one cannot read. */
export class StateTooNewError extends CaravelError {
  constructor(dir: string, found: number, supported: number) {
    super(
      'STATE_TOO_NEW',
      `state directory ${dir} was written by a newer Caravel (state format ${found}; this version reads format ${supported})`,
      { hint: 'run a newer caravel, or give --state-dir another directory' },
    );
  }
}

/** Another process held the writer lock for longer than the wait allows. */
export class StateLockedError extends CaravelError {
  constructor(lockFile: string, pid: number | undefined, waitedMs: number) {
    super(
      'STATE_LOCKED',
      `the state is locked by ${pid === undefined ? 'another process' : `process ${pid}`} (${lockFile}); gave up after ${waitedMs} ms`,
      {
        hint: `wait for it to finish; if no caravel process is running, remove ${lockFile} (CARAVEL_STATE_LOCK_TIMEOUT_MS sets the wait)`,
      },
    );
  }
}

/** `label` would change an existing value without --overwrite, as kubectl refuses. */
export class LabelConflictError extends CaravelError {
  constructor(key: string, current: string) {
    super('LABEL_CONFLICT', `'${key}' already has a value (${current}), and --overwrite is false`, {
      hint: `pass --overwrite to replace it`,
    });
  }
}
