import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectorMatches } from '../api/index.ts';
import { SelectorSyntaxError, formatSelector, parseSelector } from './selector.ts';

const pods = {
  v1: { app: 'reviews', version: 'v1', env: 'a' },
  v2: { app: 'reviews', version: 'v2', env: 'b' },
  v3: { app: 'reviews', version: 'v3' },
  other: { app: 'ratings', version: 'v1', env: 'c' },
};

function select(text: string): string[] {
  const s = parseSelector(text);
  return Object.entries(pods)
    .filter(([, labels]) => selectorMatches(s, labels))
    .map(([n]) => n);
}

test('equality selectors: =, == and !=', () => {
  assert.deepEqual(select('app=reviews'), ['v1', 'v2', 'v3']);
  assert.deepEqual(select('app==reviews,version!=v1'), ['v2', 'v3']);
  // != also matches objects without the key, as in Kubernetes.
  assert.deepEqual(select('env!=a'), ['v2', 'v3', 'other']);
});

test('set-based selectors: in, notin, exists and !exists', () => {
  assert.deepEqual(select('app=reviews,version!=v1,env in (a,b)'), ['v2']);
  assert.deepEqual(select('env notin (a, b)'), ['v3', 'other']);
  assert.deepEqual(select('env'), ['v1', 'v2', 'other']);
  assert.deepEqual(select('!env'), ['v3']);
  assert.deepEqual(select(''), ['v1', 'v2', 'v3', 'other']);
});

test('the same key twice must hold both ways', () => {
  assert.deepEqual(select('version=v1,version=v2'), []);
});

test('syntax errors name the selector and the problem', () => {
  assert.deepEqual(parseSelector('app='), { matchLabels: { app: '' } });
  for (const bad of ['env in (a', 'env in a', 'a b', 'app=x,', '=x', 'app=x y', 'bad key!=1', 'app=-x']) {
    assert.throws(
      () => parseSelector(bad),
      (e: unknown) => e instanceof SelectorSyntaxError && e.message.includes(`"${bad}"`) && e.userError,
      bad,
    );
  }
});

test('formatSelector prints selectors as kubectl does', () => {
  assert.equal(formatSelector({ matchLabels: { app: 'v1', apply: 'canary' } }), 'app=v1,apply=canary');
  assert.equal(formatSelector(parseSelector('a=1,b!=2,c in (x,y),d,!e')), 'a=1,b!=2,c in (x,y),d,!e');
});
