// Renders decoded Envoy messages as proto3 JSON with the original (snake_case) field names, the
// way Envoy's admin /config_dump prints them: durations as "1.5s", wrappers unwrapped, Any with "@type".
import type protobuf from 'protobufjs';
import { envoyRoot, fromStruct, fromValue } from '../../envoy/index.ts';
import type { Obj } from '../xds/decode/read.ts';

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (w) => `google.protobuf.${w}Value`,
  ),
);
const TYPE_PREFIX = 'type.googleapis.com/';

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function fullName(type: protobuf.Type): string {
  return type.fullName.replace(/^\./, '');
}

function scalar(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

function message(type: protobuf.Type, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const o = value as Obj;
  const name = fullName(type);
  if (name === 'google.protobuf.Duration') {
    const seconds = Number(o.seconds ?? 0) + Number(o.nanos ?? 0) / 1e9;
    return `${Number(seconds.toFixed(9))}s`;
  }
  if (name === 'google.protobuf.Timestamp')
    return new Date(Number(o.seconds ?? 0) * 1000 + Number(o.nanos ?? 0) / 1e6).toISOString();
  if (WRAPPERS.has(name))
    return scalar(o.value ?? (name.endsWith('BoolValue') ? false : name.endsWith('StringValue') ? '' : 0));
  if (name === 'google.protobuf.Struct') return fromStruct(o);
  if (name === 'google.protobuf.Value') return fromValue(o);
  if (name === 'google.protobuf.ListValue')
    return ((o.values as Obj[] | undefined) ?? []).map((v) => fromValue(v));
  if (name === 'google.protobuf.Any') return anyJson(o);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = o[field.name];
    if (v === undefined || v === null) continue;
    const key = snake(field.name);
    const resolved = field.resolvedType;
    const convert = (x: unknown) =>
      resolved && 'fieldsArray' in resolved ? message(resolved as protobuf.Type, x) : scalar(x);
    if (field.map) {
      const m: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Obj)) m[k] = convert(x);
      out[key] = m;
    } else if (field.repeated && Array.isArray(v)) out[key] = v.map(convert);
    else out[key] = convert(v);
  }
  return out;
}

/** A nested Any as decoded (`{'@type': url, ...fields}`) → proto3 JSON with "@type" first. */
export function anyJson(o: Obj): unknown {
  const url = o['@type'];
  if (typeof url !== 'string') return o;
  let type: protobuf.Type;
  try {
    type = envoyRoot().lookupType(url.startsWith(TYPE_PREFIX) ? url.slice(TYPE_PREFIX.length) : url);
  } catch {
    return { '@type': url };
  }
  return { '@type': url, ...(message(type, o) as Obj) };
}

/** A top-level resource of a known type URL as proto3 JSON with its "@type". */
export function resourceJson(typeUrl: string, raw: Obj): unknown {
  return anyJson({ ...raw, '@type': typeUrl });
}

/** Any message of a named type (e.g. envoy.config.core.v3.Node) as proto3 JSON. */
export function messageJson(typeName: string, raw: Obj): unknown {
  return message(envoyRoot().lookupType(typeName), raw);
}
