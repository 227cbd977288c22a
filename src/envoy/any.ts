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

export function typeUrlOf(fullName: string): string {
  return `${TYPE_PREFIX}${fullName}`;
}
