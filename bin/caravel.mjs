#!/usr/bin/env node
// The caravel command. Caravel runs on Node 24; when started by an older Node, it re-runs itself
// with the Node 24 that the project's install brought (node_modules/node).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
const args = process.argv.slice(2);

// V8 settings for `caravel proxy`, which runs in every pod (a flag given in NODE_OPTIONS or on the
// node command line wins). V8 sizes the young generation for a large heap: its semi-spaces grow to
// 16 MiB and more during start-up and under load, and are not given back. Capped at 4 MiB, an idle
// sidecar holds about 20 MiB less and a loaded one about 115 MiB less, for about a tenth of its peak
// throughput (more, shorter scavenges; bench/proxy/RESULTS.md, "Memory"). Allocation-site
// pretenuring is off: the configuration built at start-up survives, and V8 would then place the
// per-request objects allocated by the same code straight in the old generation, where they pile
// up between full collections.
const PROXY_V8_FLAGS = ['--max-semi-space-size=4', '--no-allocation-site-pretenuring'];
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
/** A flag's name as the user could give it (`--max-semi-space-size=`, `--allocation-site-pretenuring`). */
const flagName = (f) => (f.includes('=') ? f.slice(0, f.indexOf('=') + 1) : f.replace(/^--no-/, '--'));
const nodeFlags =
  args[0] === 'proxy'
    ? PROXY_V8_FLAGS.filter(
        (f) => !given.some((g) => g.startsWith(flagName(f)) || g.replace(/^--no-/, '--') === flagName(f)),
      )
    : [];

if (major < 24) {
  const bundled = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(
      `caravel: needs Node 24 or newer (this is Node ${process.versions.node}).\n` +
        '  hint: run `npm ci` in the caravel folder; it installs Node 24 for caravel to use',
    );
    process.exit(1);
  }
  const { spawn } = await import('node:child_process');
  const child = spawn(bundled, [...nodeFlags, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
  });
  // Signals sent to this process alone (kill, timeout, a supervisor) must reach caravel itself.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
} else if (nodeFlags.length > 0 && typeof process.execve === 'function' && !process.env.NODE_CHANNEL_FD) {
  // The same process (its pid is the proxy's) becomes a Node with the proxy's flags.
  process.execve(process.execPath, [
    process.execPath,
    ...process.execArgv,
    ...nodeFlags,
    fileURLToPath(import.meta.url),
    ...args,
  ]);
} else {
  // Keeps the type-stripped sources and their compiled code on disk (in NODE_COMPILE_CACHE, or the
  // temporary folder), so later runs neither strip types again nor load the stripper: a proxy in
  // every pod saves its memory and start-up time.
  module.enableCompileCache();
  const { main } = await import('../src/cli/index.ts');
  process.exitCode = await main(args);
}
