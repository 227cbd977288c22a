// Helpers for the kind tests: load YAML through the public loader and assert on the resources or
// on the one issue a broken document must produce (its line, field path and code).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadTexts } from '../../index.ts';
import type { Issue, LoadResult, Resource } from '../../index.ts';

/** Strips the common indentation of a template literal so YAML can be written inline in tests. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function load(text: string, file = 'test.yaml'): LoadResult {
  return loadTexts([{ file, text }]);
}

export function loadFixture(url: URL): LoadResult {
  return loadTexts([{ file: url.pathname, text: readFileSync(url, 'utf8') }]);
}

/** Loads `text`, asserts it has no issues, and returns its resources. */
export function valid(text: string): readonly Resource[] {
  const { resources, issues } = load(text);
  assert.deepEqual(issues, [], 'expected no issues');
  return resources;
}

export interface ExpectedIssue {
  readonly line: number;
  readonly path?: string;
  readonly code: string;
  readonly message?: RegExp;
  readonly hint?: RegExp;
}

/** Loads `text` and asserts it yields exactly one issue, with the expected line, path and code. */
export function invalid(text: string, expected: ExpectedIssue): Issue {
  const { resources, issues } = load(text);
  assert.equal(issues.length, 1, `expected one issue, got ${JSON.stringify(issues, null, 1)}`);
  assert.equal(resources.length, 0);
  const issue = issues[0]!;
  assert.equal(issue.code, expected.code, issue.message);
  assert.equal(issue.path, expected.path, issue.message);
  assert.equal(issue.line, expected.line, issue.message);
  if (expected.message) assert.match(issue.message, expected.message);
  if (expected.hint) assert.match(issue.hint ?? '', expected.hint);
  return issue;
}
