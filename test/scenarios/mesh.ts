// Runs a real `caravel demo` (or `up`) as a child process for scenario tests: its own state
// directory, free ports, and a clean stop that leaves no process behind.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/index.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/caravel.mjs');

export interface RunningMesh {
  readonly stateDir: string;
  readonly gatewayUrl: string;
  readonly output: () => string;
  /** Runs a caravel command against this mesh (in this process); resolves with its output. */
  caravel(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  stop(): Promise<number | null>;
}

/** `caravel demo` (Bookinfo) on free ports with a fresh state directory. */
export function startDemo(args: readonly string[] = []): Promise<RunningMesh> {
  return startMesh('demo', args);
}

/** `caravel up` or `demo` on free ports with a fresh state directory; resolves once it is ready. */
export async function startMesh(
  command: 'up' | 'demo',
  args: readonly string[] = [],
  readyTimeoutMs = 120_000,
): Promise<RunningMesh> {
  const stateDir = mkdtempSync(join(tmpdir(), 'caravel-scenario-'));
  const ports = ['--gateway-port', '0', '--xds-port', '0', '--monitoring-port', '0'];
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, command, '--state-dir', stateDir, ...ports, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the mesh was not ready in time:\n${output}`)),
      readyTimeoutMs,
    );
    const check = () => {
      const m = /(?:Bookinfo is at|the ingress gateway is at) (http:\/\/[\d.:]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`caravel ${command} exited with ${code}:\n${output}`));
    });
  });
  return {
    stateDir,
    gatewayUrl,
    output: () => output,
    async caravel(...cmd) {
      let out = '';
      let err = '';
      // --state-dir goes right after the command name: anything after "--" belongs to exec's command.
      const [name, ...rest] = cmd;
      const code = await main([name!, '--state-dir', stateDir, ...rest], {
        out: (t) => (out += `${t}\n`),
        err: (t) => (err += `${t}\n`),
        stdin: () => '',
        env: process.env,
        cwd: ROOT,
      });
      return { code, out, err };
    },
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(stateDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Calls `probe` until it returns true or `timeoutMs` passes; config changes apply within a second. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
