// Binary ⇄ plain-object conversion of one Envoy message type on the shared Root, with the shapes
// the gRPC stubs of discoveryPackageDefinition() give (PROTO_OPTIONS: camelCase fields, enums and
// 64-bit integers as strings, nested Any as `{'@type': url, ...}`). A gRPC client built on these
// needs no package definition: proto-loader would load every proto file into a second Root and keep
// a descriptor of each type, which a proxy pays for in memory and start-up time.
import { envoyRoot, PROTO_OPTIONS } from './protos.ts';

export interface MessageCodec<T> {
  /** The wire form of a plain object (as `Type.fromObject` reads it). */
  encode(object: Readonly<Record<string, unknown>>): Buffer;
  /** Throws on bytes that are not a valid message of the type. */
  decode(bytes: Uint8Array): T;
}

/** The codec of a fully qualified message name, e.g. envoy.service.discovery.v3.DiscoveryResponse. */
export function messageCodec<T = Record<string, unknown>>(typeName: string): MessageCodec<T> {
  const type = envoyRoot().lookupType(typeName);
  return {
    encode(object) {
      const bytes = type.encode(type.fromObject(object)).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode: (bytes) => type.toObject(type.decode(bytes), PROTO_OPTIONS) as T,
  };
}
