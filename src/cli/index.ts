// The caravel command line: dispatch to one command, and the single place errors become output.
import { readFileSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { isCaravelError } from '../errors/index.ts';
import type { Command, Io } from './command.ts';

export type { Command, Io } from './command.ts';

/**
 * The command named `name`. `caravel proxy` runs in every pod, so it loads its own module alone:
 * the rest of the command line (control plane, runtime, every kind's schema) would only cost memory.
 */
async function find(name: string): Promise<Command | undefined> {
  if (name === 'proxy') return (await import('./commands/proxy.ts')).proxyCommand;
  const { commands } = await import('./commands/index.ts');
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

async function help(): Promise<string> {
  const { commands } = await import('./commands/index.ts');
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
      const c = await find(rest[0]);
      if (c) {
        io.out(c.usage);
        return 0;
      }
    }
    io.out(await help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') return main(['version'], io);
  const command = await find(name);
  // A long-running command (up) writes the compile cache now rather than at exit (see bin/caravel.mjs).
  flushCompileCache();
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
