// Reading Envoy's admin JSON (proto3 JSON with snake_case names) without trusting its shape: every
// accessor returns undefined or an empty list for what is missing or of another type.
export type Json = Record<string, unknown>;

function get(v: unknown, path: readonly string[]): unknown {
  let cur = v;
  for (const p of path)
    cur = cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Json)[p] : undefined;
  return cur;
}

export function obj(v: unknown, ...path: string[]): Json | undefined {
  const x = get(v, path);
  return x && typeof x === 'object' && !Array.isArray(x) ? (x as Json) : undefined;
}

export function list(v: unknown, ...path: string[]): Json[] {
  const x = get(v, path);
  return Array.isArray(x) ? x.filter((e): e is Json => Boolean(e) && typeof e === 'object') : [];
}

export function str(v: unknown, ...path: string[]): string | undefined {
  const x = get(v, path);
  return typeof x === 'string' ? x : undefined;
}

/** Numbers as proto3 JSON writes them: uint32 as numbers, 64-bit integers as strings. */
export function num(v: unknown, ...path: string[]): number | undefined {
  const x = get(v, path);
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^\d+$/.test(x)) return Number(x);
  return undefined;
}

/** The entry of an admin /config_dump whose @type ends with `kind` (ClustersConfigDump, …). */
export function dumpSection(dump: unknown, kind: string): Json | undefined {
  return list(dump, 'configs').find((c) => str(c, '@type')?.endsWith(`.${kind}`));
}

export function strings(v: unknown, ...path: string[]): string[] {
  const x = get(v, path);
  return Array.isArray(x) ? x.filter((e): e is string => typeof e === 'string') : [];
}
