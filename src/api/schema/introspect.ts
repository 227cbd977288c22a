// Walks zod schemas to explain unknown fields: the fields that were allowed at a path ("did you
// mean") and where else in the kind a misplaced field belongs.
import type { z } from 'zod';

type AnySchema = z.ZodType;

interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  getter?: () => AnySchema;
}

function defOf(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers (optional, default, pipe, lazy, …) down to the schema that shapes the value. */
function unwrap(s: AnySchema): AnySchema {
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else return s;
  }
  return s;
}

function children(s: AnySchema): AnySchema[] {
  const d = defOf(unwrap(s));
  if (d.type === 'union' && d.options) return d.options;
  return [unwrap(s)];
}

/** The object schemas that may sit at `path` (several where a union is involved). */
export function objectsAt(root: AnySchema, path: readonly (string | number)[]): Record<string, AnySchema>[] {
  let current = children(root);
  for (const seg of path) {
    const next: AnySchema[] = [];
    for (const s of current) {
      const d = defOf(s);
      if (d.type === 'object' && typeof seg === 'string' && d.shape?.[seg])
        next.push(...children(d.shape[seg]));
      else if (d.type === 'array' && typeof seg === 'number' && d.element) next.push(...children(d.element));
      else if (d.type === 'record' && d.valueType) next.push(...children(d.valueType));
    }
    current = next;
  }
  return current
    .map((s) => defOf(s))
    .filter((d) => d.type === 'object' && d.shape)
    .map((d) => d.shape!);
}

/** Every place in the schema where an object has field `key`, as path templates (spec.http[].timeout). */
export function placesOf(root: AnySchema, key: string, limit = 3): string[] {
  const found: string[] = [];
  const seen = new Set<AnySchema>();
  const walk = (s: AnySchema, prefix: string, depth: number): void => {
    if (found.length >= limit || depth > 12) return;
    for (const c of children(s)) {
      if (seen.has(c)) continue;
      seen.add(c);
      const d = defOf(c);
      if (d.type === 'object' && d.shape) {
        if (key in d.shape) found.push(prefix);
        for (const [k, v] of Object.entries(d.shape)) walk(v, prefix ? `${prefix}.${k}` : k, depth + 1);
      } else if (d.type === 'array' && d.element) walk(d.element, `${prefix}[]`, depth + 1);
      else if (d.type === 'record' && d.valueType) walk(d.valueType, `${prefix}.<key>`, depth + 1);
      seen.delete(c);
    }
  };
  walk(root, '', 0);
  return found;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest known name to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const score = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  const allowed = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestScore <= allowed ? best : undefined;
}
