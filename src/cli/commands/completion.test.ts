import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { main } from '../index.ts';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    stdin: () => '',
    env: {},
    cwd: process.cwd(),
  });
  return { code, out, err };
}

test('the bash script completes commands and resource types, and is valid bash', async () => {
  const { code, out } = await run('completion', 'bash');
  assert.equal(code, 0);
  // Ask bash itself what it would offer after "caravel pro" and "caravel get virt".
  const offer = (line: string) =>
    execFileSync(
      'bash',
      [
        '-c',
        `${out}\nCOMP_WORDS=(${line}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _caravel; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
  assert.deepEqual(offer('caravel pro').sort(), ['proxy', 'proxy-config', 'proxy-status']);
  assert.deepEqual(offer('caravel get virt'), ['virtualservices']);
  assert.ok(offer('caravel get d').includes('dr'));
});

test('an unknown shell is a usage error', async () => {
  const { code, err } = await run('completion', 'fish');
  assert.equal(code, 2);
  assert.match(err, /bash or zsh, not "fish"/);
});
