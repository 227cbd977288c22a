import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanAge, renderTable } from './table.ts';

test('ages read like kubectl: two units while they matter, then one', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [0, '0s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [45 * m, '45m'],
    [3 * h + 5 * m, '3h5m'],
    [20 * h, '20h'],
    [3 * d + 4 * h, '3d4h'],
    [100 * d, '100d'],
    [3 * 365 * d + 10 * d, '3y10d'],
    [9 * 365 * d, '9y'],
  ];
  for (const [ms, text] of cases) assert.equal(humanAge(ms), text, `${ms} ms`);
});

test('tables pad each column to its widest cell plus three spaces, without trailing blanks', () => {
  assert.deepEqual(
    renderTable([
      ['NAME', 'HOSTS', 'AGE'],
      ['reviews', '["reviews"]', '5s'],
      ['a', '', '10m'],
    ]),
    ['NAME      HOSTS         AGE', 'reviews   ["reviews"]   5s', 'a                       10m'],
  );
});
