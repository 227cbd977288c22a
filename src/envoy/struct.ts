// google.protobuf.Struct ⇄ plain JSON (filter metadata, node metadata, config dumps). packAny
// encodes Struct fields only in their message form, so plain objects there would be sent empty.

type ValueMessage = Record<string, unknown>;

function valueOf(v: unknown): ValueMessage {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(valueOf) } };
  return { structValue: structOf(v as Record<string, unknown>) };
}

/** Plain JSON as a google.protobuf.Struct message. */
export function structOf(json: Readonly<Record<string, unknown>>): { fields: Record<string, ValueMessage> } {
  const fields: Record<string, ValueMessage> = {};
  for (const [k, v] of Object.entries(json)) fields[k] = valueOf(v);
  return { fields };
}

/** A google.protobuf.Value message as plain JSON. */
export function fromValue(v: ValueMessage | undefined): unknown {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return fromStruct(v.structValue as Record<string, unknown>);
  if ('listValue' in v)
    return (((v.listValue as Record<string, unknown>).values as ValueMessage[] | undefined) ?? []).map(
      fromValue,
    );
  return null;
}

/** A google.protobuf.Struct message as plain JSON. */
export function fromStruct(s: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (s?.fields as Record<string, ValueMessage> | undefined) ?? {};
  for (const [k, v] of Object.entries(fields)) out[k] = fromValue(v);
  return out;
}
