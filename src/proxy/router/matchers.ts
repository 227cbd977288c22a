// Envoy's string, header and query-parameter matchers, compiled once when a route table is decoded.
// Regular expressions use RE2 (linear time) and match the whole value, as Envoy's safe_regex does.
import { RE2 } from 're2-wasm';
import type { Obj, Reader } from '../xds/decode/read.ts';
import { bool, obj, str } from '../xds/decode/read.ts';

export type Test = (value: string) => boolean;

/** A whole-value regex match. */
export interface FullMatch {
  test(value: string): boolean;
}

const LITERAL = /[A-Za-z0-9/_\-=:@!,;~%&# '"<>]/;
const QUANTIFIER = /[*+?{]/;

/**
 * The literal text every full match must start with, read from the pattern's head ('' when there
 * is none or the pattern has an alternation). Checked in JS before calling into RE2: most requests
 * fail a route's regex at its first characters, and a call into the WebAssembly engine costs more
 * than the whole comparison.
 */
export function literalPrefix(pattern: string): string {
  if (pattern.includes('|')) return '';
  let out = '';
  let i = pattern.startsWith('^') ? 1 : 0;
  while (i < pattern.length) {
    let ch = pattern[i]!;
    let width = 1;
    if (ch === '\\') {
      const next = pattern[i + 1];
      // Only escaped punctuation is a literal; \d, \w, \b and friends are classes or assertions.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      ch = next;
      width = 2;
    } else if (!LITERAL.test(ch)) break;
    // A quantified character may be absent or repeated: the prefix ends before it.
    if (QUANTIFIER.test(pattern[i + width] ?? '')) break;
    out += ch;
    i += width;
  }
  return out;
}

/** Compiles an RE2 pattern that must match the entire input. */
export function fullRegex(r: Reader, pattern: string, path: string, ignoreCase = false): FullMatch {
  let re: RE2;
  try {
    re = new RE2(`^(?:${pattern})$`, ignoreCase ? 'iu' : 'u');
  } catch (e) {
    return r.fail(path, `invalid RE2 regex "${pattern}": ${(e as Error).message}`);
  }
  // Case folding (RE2's Unicode folds differ from toLowerCase) keeps every value for RE2 itself.
  const prefix = ignoreCase ? '' : literalPrefix(pattern);
  if (!prefix) return re;
  return { test: (v) => v.startsWith(prefix) && re.test(v) };
}

/** Compiles an RE2 pattern used to find and replace every match (regex_rewrite). */
export function searchRegex(r: Reader, pattern: string, path: string): RE2 {
  try {
    return new RE2(pattern, 'gu');
  } catch (e) {
    return r.fail(path, `invalid RE2 regex "${pattern}": ${(e as Error).message}`);
  }
}

/** Envoy substitutions use `\1`; the RE2 wrapper's replace uses `$1`. */
export function substitution(text: string): string {
  return text.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
}

function safeRegex(r: Reader, o: Obj | undefined, path: string, ignoreCase = false): FullMatch {
  const pattern = o && str(o, 'regex');
  if (pattern === undefined) return r.fail(path, 'regex is required');
  return fullRegex(r, pattern, path, ignoreCase);
}

/** envoy.type.matcher.v3.StringMatcher */
export function stringMatcher(r: Reader, m: Obj, path: string): Test {
  const ignoreCase = bool(m, 'ignoreCase') ?? false;
  const norm = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  const exact = str(m, 'exact');
  if (exact !== undefined) {
    const want = norm(exact);
    return ignoreCase ? (v) => v.toLowerCase() === want : (v) => v === want;
  }
  const prefix = str(m, 'prefix');
  if (prefix !== undefined) {
    if (prefix === '') r.fail(`${path}.prefix`, 'must not be empty');
    const want = norm(prefix);
    return (v) => norm(v).startsWith(want);
  }
  const suffix = str(m, 'suffix');
  if (suffix !== undefined) {
    if (suffix === '') r.fail(`${path}.suffix`, 'must not be empty');
    const want = norm(suffix);
    return (v) => norm(v).endsWith(want);
  }
  const contains = str(m, 'contains');
  if (contains !== undefined) {
    if (contains === '') r.fail(`${path}.contains`, 'must not be empty');
    const want = norm(contains);
    return (v) => norm(v).includes(want);
  }
  const regex = obj(m, 'safeRegex');
  if (regex) {
    const re = safeRegex(r, regex, `${path}.safe_regex`, ignoreCase);
    return (v) => re.test(v);
  }
  return r.fail(path, 'needs one of exact, prefix, suffix, contains, safe_regex');
}

export type HeaderTest = (headers: Readonly<Record<string, string | string[] | undefined>>) => boolean;

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** envoy.config.route.v3.HeaderMatcher; header names are matched lower-cased, as node delivers them. */
export function headerMatcher(r: Reader, m: Obj, path: string): HeaderTest {
  const name = str(m, 'name')?.toLowerCase();
  if (!name) return r.fail(`${path}.name`, 'is required');
  const invert = bool(m, 'invertMatch') ?? false;
  const treatMissingAsEmpty = bool(m, 'treatMissingHeaderAsEmpty') ?? false;
  let test: Test | undefined;
  const exact = str(m, 'exactMatch');
  const prefix = str(m, 'prefixMatch');
  const suffix = str(m, 'suffixMatch');
  const contains = str(m, 'containsMatch');
  const sm = obj(m, 'stringMatch');
  const re = obj(m, 'safeRegexMatch');
  const present = bool(m, 'presentMatch');
  const range = obj(m, 'rangeMatch');
  if (sm) test = stringMatcher(r, sm, `${path}.string_match`);
  else if (exact !== undefined) test = (v) => v === exact;
  else if (prefix !== undefined) test = (v) => v.startsWith(prefix);
  else if (suffix !== undefined) test = (v) => v.endsWith(suffix);
  else if (contains !== undefined) test = (v) => v.includes(contains);
  else if (re) {
    const rx = safeRegex(r, re, `${path}.safe_regex_match`);
    test = (v) => rx.test(v);
  } else if (range) {
    const start = Number(range.start ?? 0);
    const end = Number(range.end ?? 0);
    test = (v) => /^-?\d+$/.test(v) && Number(v) >= start && Number(v) < end;
  }
  if (present !== undefined && !test) {
    // present_match: true matches when the header exists; false when it does not.
    return (h) => ((h[name] !== undefined) === present) !== invert;
  }
  if (!test) {
    // No value matcher at all: Envoy treats the matcher as "header present".
    return (h) => (h[name] !== undefined) !== invert;
  }
  const valueTest = test;
  return (h) => {
    let v = headerValue(h[name]);
    if (v === undefined) {
      if (!treatMissingAsEmpty) return false; // a missing header never matches, even inverted
      v = '';
    }
    return valueTest(v) !== invert;
  };
}

export type QueryTest = (query: URLSearchParams) => boolean;

/** envoy.config.route.v3.QueryParameterMatcher */
export function queryMatcher(r: Reader, m: Obj, path: string): QueryTest {
  const name = str(m, 'name');
  if (!name) return r.fail(`${path}.name`, 'is required');
  const sm = obj(m, 'stringMatch');
  const present = bool(m, 'presentMatch');
  if (sm) {
    const test = stringMatcher(r, sm, `${path}.string_match`);
    return (q) => {
      const v = q.get(name);
      return v !== null && test(v);
    };
  }
  if (present === false) return (q) => !q.has(name);
  return (q) => q.has(name);
}
