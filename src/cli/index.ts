// The caravel command line: dispatch to one command, and the single place errors become output.
import { readFileSync } from 'node:fs';
import { isCaravelError } from '../errors/index.ts';
import type { Command, Io } from './command.ts';
import { commands } from './commands/index.ts';

export type { Command, Io } from './command.ts';

function find(name: string): Command | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "caravel: a service mesh that takes Istio's YAML",
    '',
    'Usage: caravel COMMAND [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "caravel COMMAND --help" for a command\'s options.',
  ].join('\n');
}

export function defaultIo(): Io {
  return {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    stdin: () => readFileSync(0, 'utf8'),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Runs one command line; returns the exit status (0 ok, 1 user error, 2 usage). */
export async function main(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) {
      const c = find(rest[0]);
      if (c) {
        io.out(c.usage);
        return 0;
      }
    }
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') return main(['version'], io);
  const command = find(name);
  if (!command) {
    io.err(`error: unknown command "${name}"\n  hint: run "caravel --help" to list commands`);
    return 2;
  }
  // Words after "--" belong to another program (exec's command), not to caravel.
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isCaravelError(e) && e.userError) {
      io.err(`error: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
      return e.code === 'USAGE' ? 2 : 1;
    }
    const err = e as Error;
    io.err(`internal error: ${err.message}\n${err.stack ?? ''}`);
    return 1;
  }
}
