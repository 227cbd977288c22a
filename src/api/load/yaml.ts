// Multi-document YAML/JSON parsing that remembers where every field came from.
import { LineCounter, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Node as YamlNode, YAMLError } from 'yaml';
import type { Issue, Position } from './issue.ts';
import { formatPath } from './path.ts';
import type { PathSegment } from './path.ts';
import type { SourceText } from './source.ts';

/** Where a field's key and value start; keyed by formatted path ("" is the document root). */
export interface FieldPositions {
  readonly key?: Position;
  readonly value: Position;
}

export interface RawDocument {
  readonly file: string;
  /** 0-based index of the document in its file. */
  readonly index: number;
  /** Line where the document's content starts. */
  readonly line: number;
  readonly value: unknown;
  readonly positions: ReadonlyMap<string, FieldPositions>;
}

export interface ParseResult {
  readonly documents: RawDocument[];
  readonly issues: Issue[];
}

function position(lc: LineCounter, offset: number): Position {
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

function recordPositions(
  node: unknown,
  path: PathSegment[],
  lc: LineCounter,
  out: Map<string, FieldPositions>,
  key?: Position,
): void {
  const n = node as YamlNode | null;
  if (n && n.range) out.set(formatPath(path), { key, value: position(lc, n.range[0]) });
  if (isMap(n)) {
    for (const item of n.items) {
      if (!isPair(item)) continue;
      const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
      const keyPos = isScalar(item.key) && item.key.range ? position(lc, item.key.range[0]) : undefined;
      const child = [...path, k];
      if (item.value == null && keyPos) out.set(formatPath(child), { key: keyPos, value: keyPos });
      else recordPositions(item.value, child, lc, out, keyPos);
    }
  } else if (isSeq(n)) {
    n.items.forEach((item, i) => recordPositions(item, [...path, i], lc, out));
  }
}

function lineText(text: string, line: number): string {
  return text.split('\n')[line - 1] ?? '';
}

function indentOf(s: string): number {
  return s.length - s.trimStart().length;
}

function stripComment(s: string): string {
  return s.replace(/\s+#.*$/, '').trimEnd();
}

/**
 * Turns the YAML library's first error into words about the user's input. The common mistake is a
 * list that follows a key which already has a value, for example `timeout: 2s` written between
 * `route:` and its `- destination:` items.
 */
function explainYamlError(err: YAMLError, text: string, file: string): Issue {
  const line = err.linePos?.[0].line ?? 1;
  const column = err.linePos?.[0].col ?? 1;
  const here = stripComment(lineText(text, line)).trim();
  if (
    err.code === 'BLOCK_AS_IMPLICIT_KEY' ||
    (err.code === 'MULTILINE_IMPLICIT_KEY' && here.startsWith('-'))
  ) {
    const lines = text.split('\n');
    const myIndent = indentOf(lines[line - 1] ?? '');
    let prev = line - 1;
    while (prev > 0 && /^\s*(#.*)?$/.test(lines[prev - 1] ?? '')) prev--;
    const prevText = stripComment(lines[prev - 1] ?? '').trim();
    // The key this list probably belongs to: the nearest line above, at the same indentation or
    // shallower, that ends with "key:" and no value.
    let owner = prev - 1;
    while (owner > 0) {
      const t = stripComment(lines[owner - 1] ?? '');
      if (t.trim() !== '' && indentOf(t) <= myIndent && /:$/.test(t.trim())) break;
      if (t.trim() !== '' && indentOf(t) < myIndent - 2) {
        owner = 0;
        break;
      }
      owner--;
    }
    const ownerText =
      owner > 0
        ? stripComment(lines[owner - 1] ?? '')
            .trim()
            .replace(/^-\s*/, '')
        : '';
    const misplaced = prevText.replace(/^-\s*/, '');
    const misplacedKey = misplaced.split(':')[0] ?? misplaced;
    return {
      severity: 'error',
      code: 'yaml-structure',
      file,
      line,
      column,
      message:
        `the list item "${here}" cannot go here: the line above it (line ${prev}, "${misplaced}") already ` +
        `has a value, so the list has no key to belong to` +
        (ownerText ? `; it looks like it belongs to "${ownerText}" (line ${owner})` : ''),
      hint: ownerText
        ? `"${misplacedKey}" is not part of "${ownerText.replace(/:$/, '')}": move "${misplaced}" out of it, ` +
          `for example after the list at the indentation of "${ownerText}", and keep the "- …" items ` +
          `directly under "${ownerText}"`
        : 'indent the list under the key it belongs to, or give it a key of its own',
    };
  }
  const firstLine = err.message.split('\n')[0] ?? err.message;
  return {
    severity: 'error',
    code: 'yaml-syntax',
    file,
    line,
    column,
    message: `invalid YAML: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`,
  };
}

/** Parses every document of every source; a document with a syntax error yields an issue instead. */
export function parseSources(sources: readonly SourceText[]): ParseResult {
  const documents: RawDocument[] = [];
  const issues: Issue[] = [];
  for (const src of sources) {
    const lc = new LineCounter();
    const docs = parseAllDocuments(src.text, {
      lineCounter: lc,
      prettyErrors: true,
      uniqueKeys: true,
      merge: true,
    });
    if (!Array.isArray(docs)) {
      // An empty stream ("EmptyStream") has no documents.
      continue;
    }
    docs.forEach((doc, index) => {
      if (doc.errors.length > 0) {
        // Later errors in a broken document are almost always echoes of the first.
        issues.push(explainYamlError(doc.errors[0]!, src.text, src.file));
        return;
      }
      if (doc.contents == null) return; // an empty document between separators
      const value: unknown = doc.toJS({ maxAliasCount: 1000 });
      if (value == null) return;
      const positions = new Map<string, FieldPositions>();
      recordPositions(doc.contents, [], lc, positions);
      const line = doc.contents.range ? position(lc, doc.contents.range[0]).line : 1;
      documents.push({ file: src.file, index, line, value, positions });
    });
  }
  return { documents, issues };
}

/** The best-known position for a path: the field itself, else its nearest ancestor that exists. */
export function locate(
  doc: RawDocument,
  path: readonly PathSegment[],
  preferKey = false,
): Position | undefined {
  for (let n = path.length; n >= 0; n--) {
    const p = doc.positions.get(formatPath(path.slice(0, n)));
    if (p) return preferKey && p.key ? p.key : p.value;
  }
  return undefined;
}
