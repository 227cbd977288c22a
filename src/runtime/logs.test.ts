import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { followLog, logPath, LogWriter, logSize, readLog } from './logs.ts';
import { tempStateDir } from './testing.ts';

test('logs live at logs/<ns>/<pod>/<container>.log and read back whole or by tail', () => {
  using state = tempStateDir();
  const path = logPath(state.dir, 'default', 'web-abc-x', 'istio-proxy');
  assert.equal(path, join(state.dir, 'logs', 'default', 'web-abc-x', 'istio-proxy.log'));
  const w = new LogWriter(path);
  w.write('one\ntwo\n');
  w.write(Buffer.from('three\n'));
  w.close();
  assert.equal(readLog(path), 'one\ntwo\nthree\n');
  assert.equal(readLog(path, { tail: 2 }), 'two\nthree\n');
  assert.equal(readLog(path, { tail: 0 }), '');
  assert.equal(readLog(join(state.dir, 'missing.log')), '');
});

test('a log over its cap rotates to .log.1; reading joins both, the oldest dropped', () => {
  using state = tempStateDir();
  const path = join(state.dir, 'c.log');
  const w = new LogWriter(path, 20);
  for (let i = 0; i < 6; i++) w.write(`line ${i} .....\n`); // 15 bytes each
  w.close();
  assert.ok(existsSync(`${path}.1`));
  assert.equal(readFileSync(path, 'utf8'), 'line 5 .....\n');
  assert.equal(readLog(path), 'line 4 .....\nline 5 .....\n');
});

test('follow sees appended text, across a rotation', async () => {
  using state = tempStateDir();
  const path = join(state.dir, 'f.log');
  const w = new LogWriter(path, 30);
  w.write('before\n');
  const seen: string[] = [];
  const stop = new AbortController();
  const following = followLog(path, (t) => seen.push(t), {
    signal: stop.signal,
    from: logSize(path),
    pollMs: 10,
  });
  const waitFor = async (text: string) => {
    for (let i = 0; i < 500 && !seen.join('').includes(text); i++) await sleep(10);
    assert.ok(seen.join('').includes(text), `expected ${text} in ${JSON.stringify(seen)}`);
  };
  w.write('first line\n');
  await waitFor('first line\n');
  w.write('second is longer than the cap\n');
  await waitFor('second is longer');
  w.close();
  stop.abort();
  await following;
  assert.ok(!seen.join('').includes('before'));
});
