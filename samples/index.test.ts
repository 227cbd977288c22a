// Each sample starts as its own process the way the local runtime starts it (node ENTRY, HOST and
// PORT set), says where it listens, answers, and stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { SAMPLE_APPS } from './index.ts';

const HEALTH: Readonly<Record<string, string>> = {
  'bookinfo-productpage': '/health',
  'bookinfo-details': '/health',
  'bookinfo-reviews': '/health',
  'bookinfo-ratings': '/health',
  httpbin: '/get',
  fortio: '/debug',
  canary: '/health',
  'timeout-web-proxy': '/',
  'timeout-backend': '/',
};

describe('sample entry files', () => {
  for (const [name, app] of Object.entries(SAMPLE_APPS)) {
    it(`${name} runs as a process on HOST/PORT and stops on SIGTERM`, async () => {
      const child = spawn(process.execPath, [app.entry, ...app.args], {
        env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', POD_NAME: `${name}-0` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let output = '';
        child.stdout.setEncoding('utf8');
        const url = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', (chunk: string) => {
            output += chunk;
            const m = /listening on (http:\/\/\S+)/.exec(output);
            if (m) resolve(m[1]!);
          });
          child.once('exit', (code) =>
            reject(new Error(`${name} exited with ${code} before listening: ${output}`)),
          );
        });
        const res = await fetch(`${url}${HEALTH[name] ?? '/'}`);
        // The web proxy has no upstream here: 502 is its answer, and still an answer.
        assert.ok(
          res.status === 200 || (name === 'timeout-web-proxy' && res.status === 502),
          `${name}: ${res.status}`,
        );
        await res.arrayBuffer();
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const [code] = await exited;
        assert.equal(code, 0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }

  it('a bad PORT is one clear line and exit status 1', async () => {
    const child = spawn(process.execPath, [SAMPLE_APPS.httpbin!.entry], {
      env: { PATH: process.env.PATH, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.equal(stderr, 'error: PORT must be a port number from 0 to 65535, got "eighty"\n');
  });
});
