// Objects printed as kubectl prints them with -o yaml and -o json: keys sorted, several objects
// wrapped in a v1 List.
import { stringify } from 'yaml';
import type { ObjectJson } from '../../config/index.ts';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

function asList(objects: readonly ObjectJson[]): unknown {
  return { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
}

/** One object alone, several (or none) as a List. */
export function renderObjects(
  objects: readonly ObjectJson[],
  format: 'yaml' | 'json',
  single: boolean,
): string {
  const value = sortKeys(single && objects.length === 1 ? objects[0] : asList(objects));
  return format === 'json'
    ? JSON.stringify(value, null, 4)
    : stringify(value, { indentSeq: false, lineWidth: 0 }).trimEnd();
}
