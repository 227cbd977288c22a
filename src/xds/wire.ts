// DiscoveryResponse encoding. Proxies that see the mesh alike share resources, so each resource's
// Any is encoded once and responses are assembled from those bytes.
import protobuf from 'protobufjs';
import { packAny } from '../envoy/index.ts';
import type { Json } from './envoy-util.ts';

const encoded = new WeakMap<Json, Buffer>();

/** The resource as a `resources` entry (field 2, a google.protobuf.Any) of a DiscoveryResponse. */
export function resourceEntry(typeUrl: string, resource: Json): Buffer {
  let entry = encoded.get(resource);
  if (!entry) {
    const any = packAny(typeUrl, resource);
    const w = protobuf.Writer.create();
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(any.typeUrl);
    w.uint32((2 << 3) | 2).bytes(any.value);
    w.ldelim();
    entry = Buffer.from(w.finish());
    encoded.set(resource, entry);
  }
  return entry;
}

const bodies = new WeakMap<readonly Json[], Buffer>();

/** The `resources` entries of a list, concatenated; cached for lists shared between proxies. */
export function encodeEntries(typeUrl: string, resources: readonly Json[]): Buffer {
  let body = bodies.get(resources);
  if (!body) bodies.set(resources, (body = Buffer.concat(resources.map((r) => resourceEntry(typeUrl, r)))));
  return body;
}

export interface ResponseHeader {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly controlPlane: string;
}

/** envoy.service.discovery.v3.DiscoveryResponse from its header fields and encoded entries. */
export function encodeResponse(h: ResponseHeader, bodies: readonly Buffer[]): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(h.versionInfo);
  w.uint32((4 << 3) | 2).string(h.typeUrl);
  w.uint32((5 << 3) | 2).string(h.nonce);
  w.uint32((6 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(h.controlPlane)
    .ldelim();
  return Buffer.concat([w.finish(), ...bodies]);
}
