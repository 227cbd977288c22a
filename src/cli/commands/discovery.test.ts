import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../../bin/caravel.mjs', import.meta.url).pathname;

test('caravel discovery serves the loaded config and stops cleanly on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'caravel-discovery-'));
  const file = join(dir, 'svc.yaml');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  selector:
    app: reviews
  ports:
  - name: http
    port: 9080
`,
  );
  const child = spawn(
    process.execPath,
    [bin, 'discovery', '-f', file, '--xds-port', '0', '--monitoring-port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = once(child, 'exit');
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!/services/.test(out)) await once(child.stdout, 'data');
    const monitoring = /monitoring on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1];
    assert.ok(monitoring, out);
    assert.match(out, /xDS listening on 127\.0\.0\.1:\d+/);
    const configz = (await (await fetch(`${monitoring}/debug/configz`)).json()) as {
      kind: string;
      metadata: { name: string };
    }[];
    assert.ok(configz.some((r) => r.kind === 'Service' && r.metadata.name === 'reviews'));
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await exited;
  assert.equal(code, 0);
});

test('caravel discovery refuses invalid config with the file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'caravel-discovery-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: x\nspec:\n  hosts: [reviews]\n  htp: []\n',
  );
  const child = spawn(
    process.execPath,
    [bin, 'discovery', '-f', file, '--xds-port', '0', '--monitoring-port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = await once(child, 'exit');
  assert.equal(code, 1);
  assert.match(err, /bad\.yaml:7/);
});
