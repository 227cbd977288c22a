// Helpers for CLI tests: run `main` with captured output in a temporary state directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './index.ts';
import type { Io } from './index.ts';

export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** A CLI bound to its own state directory; `cleanup` removes it. */
export function cliInTempState(prefix = 'caravel-cli-') {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(root, 'state');
  return {
    stateDir,
    async run(argv: readonly string[], stdin = ''): Promise<RunResult> {
      const out: string[] = [];
      const err: string[] = [];
      const io: Io = {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        stdin: () => stdin,
        env: { CARAVEL_STATE_DIR: stateDir },
        cwd: root,
      };
      const code = await main(argv, io);
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A fixture of the config store's tests. */
export function configFixture(name: string): string {
  return fileURLToPath(new URL(`../config/fixtures/${name}`, import.meta.url));
}
