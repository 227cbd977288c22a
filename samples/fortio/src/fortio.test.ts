import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoadIo } from '../../../src/loadgen/index.ts';
import { fortioMain, serverMain } from './fortio.ts';

function capture(env: Record<string, string> = {}): LoadIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd: process.cwd() };
}

describe('fortio sample', () => {
  let server: { close(): Promise<void> };
  let url: string;
  before(async () => {
    const io = capture({ HOST: '127.0.0.1' });
    server = await serverMain(['-http-port', '0'], io);
    url = /listening on (\S+)/.exec(io.stdout[0]!)![1]!;
  });
  after(() => server.close());

  it('runs the seeds’ command lines against its own echo server', async () => {
    const load = capture();
    assert.equal(
      await fortioMain(
        ['load', '-c', '2', '-qps', '0', '-n', '20', '-loglevel', 'Warning', `${url}/get`],
        load,
      ),
      0,
    );
    assert.match(load.stdout.join('\n'), /^Code 200 : 20 \(100\.0 %\)$/m);
    const curl = capture();
    assert.equal(await fortioMain(['curl', `${url}/get?status=418`], curl), 1);
    assert.match(curl.stdout[0]!, /^HTTP\/1\.1 418 /);
  });

  it('reports unknown commands and bad flags as errors', async () => {
    const unknown = capture();
    assert.equal(await fortioMain(['bench', url], unknown), 1);
    assert.match(unknown.stderr.join('\n'), /unknown command "bench"/);
    const bad = capture();
    assert.equal(await fortioMain(['load', '-c', 'x', url], bad), 1);
    assert.match(bad.stderr.join('\n'), /invalid value "x" for flag -c/);
  });
});
