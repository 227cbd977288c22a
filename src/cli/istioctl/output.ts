// istioctl's -o json / -o yaml: Envoy resources in proto3 JSON with lowerCamelCase names (the admin
// API writes the proto field names), Struct contents (filter metadata, node metadata) as they are.
import { stringify } from 'yaml';

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

// Struct-valued fields: their keys are data, not field names.
const isStruct = (key: string, value: unknown) =>
  key === 'filter_metadata' ||
  key === 'typed_filter_metadata' ||
  (key === 'metadata' && value !== null && typeof value === 'object' && !('filter_metadata' in value));

export function camelCaseJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseJson);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k === '@type' ? k : camel(k)] = isStruct(k, v) ? v : camelCaseJson(v);
  return out;
}

/** Resources without their own "@type", as istioctl marshals typed messages. */
export function untyped(resources: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return resources.map(({ ['@type']: _, ...rest }) => rest);
}

export function render(value: unknown, format: 'json' | 'yaml'): string {
  const v = camelCaseJson(value);
  return format === 'yaml' ? stringify(v).trimEnd() : JSON.stringify(v, null, 4);
}
