import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from './connection-manager.ts';

test('normalize_path removes dot segments; merge_slashes collapses slashes; the query is untouched', () => {
  assert.equal(normalizePath('/a/b/../c/./d?x=/../y', true, false), '/a/c/d?x=/../y');
  assert.equal(normalizePath('/../../etc/passwd', true, false), '/etc/passwd');
  assert.equal(normalizePath('/a/b/..', true, false), '/a/');
  assert.equal(normalizePath('//a///b', false, true), '/a/b');
  assert.equal(normalizePath('/a//./b', true, true), '/a/b');
});
