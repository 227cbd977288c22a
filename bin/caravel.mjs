#!/usr/bin/env node
// The caravel command. Caravel runs on Node 24; when started by an older Node, it re-runs itself
// with the Node 24 that the project's install brought (node_modules/node).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const bundled = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(
      `caravel: needs Node 24 or newer (this is Node ${process.versions.node}).\n` +
        '  hint: run `npm ci` in the caravel folder; it installs Node 24 for caravel to use',
    );
    process.exit(1);
  }
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // Signals sent to this process alone (kill, timeout, a supervisor) must reach caravel itself.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
} else {
  const { main } = await import('../src/cli/index.ts');
  process.exitCode = await main(process.argv.slice(2));
}
