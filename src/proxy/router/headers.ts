// Request and response header manipulation (HeaderValueOption lists and *_headers_to_remove),
// compiled once per route table; values may use the access-log command syntax (%REQ(x)% …).
import type { Obj, Reader } from '../xds/decode/read.ts';
import { bool, obj, objs, str, strs } from '../xds/decode/read.ts';
import { compileFormat } from '../http/format.ts';
import type { Formatter } from '../http/format.ts';
import type { StreamInfo } from '../http/stream-info.ts';

export type HeaderMap = Record<string, string | string[] | undefined>;

type Action =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

interface Op {
  readonly key: string;
  readonly value: string | Formatter;
  readonly action: Action;
  readonly keepEmpty: boolean;
}

export interface HeaderMutation {
  readonly ops: readonly Op[];
  readonly remove: readonly string[];
}

export const NO_MUTATION: HeaderMutation = Object.freeze({ ops: [], remove: [] });

// Headers a configuration may not touch (pseudo headers and the host, which has its own fields).
const FORBIDDEN = new Set([':authority', ':path', ':method', ':scheme', 'host']);

export function compileMutation(
  r: Reader,
  o: Obj,
  addKey: string,
  removeKey: string,
  path: string,
): HeaderMutation {
  const ops: Op[] = [];
  objs(o, addKey).forEach((hv, i) => {
    const p = `${path}.${addKey}[${i}]`;
    const header = obj(hv, 'header');
    const key = header && str(header, 'key')?.toLowerCase();
    if (!header || !key) return r.fail(`${p}.header.key`, 'is required');
    if (FORBIDDEN.has(key) || key.startsWith(':'))
      r.fail(`${p}.header.key`, `"${key}" cannot be set this way`);
    const raw = str(header, 'value') ?? '';
    const appendAction = str(hv, 'appendAction') as Action | undefined;
    const append = obj(hv, 'append');
    let action: Action = appendAction ?? 'APPEND_IF_EXISTS_OR_ADD';
    if (!appendAction && append && bool(append, 'value') === false) action = 'OVERWRITE_IF_EXISTS_OR_ADD';
    ops.push({
      key,
      value: raw.includes('%') ? compileFormat(r, raw, `${p}.header.value`) : raw,
      action,
      keepEmpty: bool(hv, 'keepEmptyValue') ?? false,
    });
  });
  const remove = strs(o, removeKey).map((h) => h.toLowerCase());
  if (ops.length === 0 && remove.length === 0) return NO_MUTATION;
  return { ops, remove };
}

/** Applies a mutation in Envoy's order: removals first, then additions. */
export function applyMutation(m: HeaderMutation, headers: HeaderMap, info: StreamInfo): void {
  for (const name of m.remove) delete headers[name];
  for (const op of m.ops) {
    const value = typeof op.value === 'string' ? op.value : op.value(info);
    if (value === '' && !op.keepEmpty) continue;
    const existing = headers[op.key];
    switch (op.action) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        if (existing === undefined) headers[op.key] = value;
        else if (Array.isArray(existing)) existing.push(value);
        else headers[op.key] = op.key === 'set-cookie' ? [existing, value] : `${existing},${value}`;
        break;
      case 'ADD_IF_ABSENT':
        if (existing === undefined) headers[op.key] = value;
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        headers[op.key] = value;
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (existing !== undefined) headers[op.key] = value;
        break;
    }
  }
}
