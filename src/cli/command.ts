// The shape every CLI command has, and the small toolkit commands share for parsing and output.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors/index.ts';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly stdin: () => string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for `caravel --help`. */
  readonly summary: string;
  /** Full usage text for `caravel COMMAND --help`. */
  readonly usage: string;
  /** Returns the exit status: 0 success, 1 a problem the user can fix, 2 bad usage. */
  run(args: readonly string[], io: Io): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with kubectl-style errors turned into UsageError. */
export function parseFlags<O extends Options>(args: readonly string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''), { cause: e });
  }
}

/** Reads `-o`/`--output` values Caravel commands share. */
export function outputFormat(value: unknown, allowed: readonly string[]): string {
  const v = typeof value === 'string' ? value : allowed[0]!;
  if (!allowed.includes(v))
    throw new UsageError(`unknown output format "${v}"`, { hint: `use one of: ${allowed.join(', ')}` });
  return v;
}
