import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from '../xds/decode/read.ts';
import { fullRegex, literalPrefix } from './matchers.ts';

test('literalPrefix reads only text every full match must start with', () => {
  assert.equal(literalPrefix('/api/v1/.*'), '/api/v1/');
  assert.equal(literalPrefix('^/fault/[0-9]+'), '/fault/');
  assert.equal(literalPrefix('/a\\.b/c'), '/a.b/c');
  // A quantified character may be missing: the prefix stops before it.
  assert.equal(literalPrefix('/ab?c'), '/a');
  assert.equal(literalPrefix('/ab*'), '/a');
  assert.equal(literalPrefix('/ab{2}'), '/a');
  // Classes, groups, escapes of letters and alternations give no prefix.
  assert.equal(literalPrefix('\\d+/x'), '');
  assert.equal(literalPrefix('(?i)abc'), '');
  assert.equal(literalPrefix('/a|/b'), '');
  assert.equal(literalPrefix('/(a|b)'), '');
  assert.equal(literalPrefix('.*'), '');
});

test('a prefiltered regex answers exactly as RE2 does', () => {
  const r = new Reader('test');
  const cases: [string, string, boolean][] = [
    ['/fault/[0-9]+', '/fault/12', true],
    ['/fault/[0-9]+', '/fault/x', false],
    ['/fault/[0-9]+', '/other', false],
    ['/ab?c', '/ac', true],
    ['/ab?c', '/abc', true],
    ['/a\\.b', '/a.b', true],
    ['/a\\.b', '/axb', false],
    ['/a|/b', '/b', true],
  ];
  for (const [pattern, value, want] of cases)
    assert.equal(fullRegex(r, pattern, 'p').test(value), want, `${pattern} on ${value}`);
  // Case-insensitive patterns use RE2's own folding (the long s folds to s).
  assert.equal(fullRegex(r, '/s.*', 'p', true).test('/\u017f'), true);
  assert.throws(() => fullRegex(r, '/(a', 'p'), /invalid RE2 regex/);
});
