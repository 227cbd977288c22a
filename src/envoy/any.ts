// google.protobuf.Any packing for Envoy resources, with the same field naming as the gRPC stubs.
import type protobuf from 'protobufjs';
import { envoyRoot, PROTO_OPTIONS } from './protos.ts';

export interface AnyMessage {
  readonly typeUrl: string;
  readonly value: Buffer;
}

const TYPE_PREFIX = 'type.googleapis.com/';

function typeFor(typeUrl: string): protobuf.Type {
  const name = typeUrl.startsWith(TYPE_PREFIX) ? typeUrl.slice(TYPE_PREFIX.length) : typeUrl;
  return envoyRoot().lookupType(name);
}

/** Encodes a plain object (camelCase fields, proto3 JSON-like values) as an Any of `typeUrl`. */
export function packAny(typeUrl: string, object: Record<string, unknown>): AnyMessage {
  const type = typeFor(typeUrl);
  const message = type.fromObject(object);
  const problem = type.verify(message);
  if (problem) throw new TypeError(`${typeUrl}: ${problem}`);
  return { typeUrl, value: Buffer.from(type.encode(message).finish()) };
}

/** Decodes an Any into a plain object; throws on bytes that are not a valid message of its type. */
export function unpackAny<T = Record<string, unknown>>(any: AnyMessage): T {
  const type = typeFor(any.typeUrl);
  return type.toObject(type.decode(any.value), PROTO_OPTIONS) as T;
}

type StructValue = Record<string, unknown>;

function valueOf(v: unknown): StructValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(valueOf) } };
  return { structValue: structOf(v as Record<string, unknown>) };
}

/**
 * Plain JSON as a google.protobuf.Struct message (filter metadata, node metadata): packAny encodes
 * Struct fields only in this form, so plain objects there would be sent empty.
 */
export function structOf(json: Readonly<Record<string, unknown>>): { fields: Record<string, StructValue> } {
  const fields: Record<string, StructValue> = {};
  for (const [k, v] of Object.entries(json)) fields[k] = valueOf(v);
  return { fields };
}

export function typeUrlOf(fullName: string): string {
  return `${TYPE_PREFIX}${fullName}`;
}
