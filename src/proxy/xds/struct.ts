// google.protobuf.Struct ⇄ plain JSON, for node metadata and config dumps.
import type { Obj } from './decode/read.ts';

type ValueMsg = Record<string, unknown>;

export function toValue(v: unknown): ValueMsg {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Obj) };
}

export function toStruct(o: Obj): { fields: Record<string, ValueMsg> } {
  const fields: Record<string, ValueMsg> = {};
  for (const [k, v] of Object.entries(o)) fields[k] = toValue(v);
  return { fields };
}

export function fromValue(v: ValueMsg | undefined): unknown {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return fromStruct(v.structValue as Obj);
  if ('listValue' in v) return (((v.listValue as Obj).values as ValueMsg[] | undefined) ?? []).map(fromValue);
  return null;
}

export function fromStruct(s: Obj | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (s?.fields as Record<string, ValueMsg> | undefined) ?? {};
  for (const [k, v] of Object.entries(fields)) out[k] = fromValue(v);
  return out;
}
