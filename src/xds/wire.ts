// DiscoveryResponse and DeltaDiscoveryResponse encoding: a response is its header fields followed
// by resource entries that were encoded once and are shared between proxies (see cache.ts).
import protobuf from 'protobufjs';

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

export interface DeltaResponseHeader {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly controlPlane: string;
}

/** envoy.service.discovery.v3.DeltaDiscoveryResponse from its header fields, encoded `Resource`
 * entries and the names of removed resources. */
export function encodeDeltaResponse(
  h: DeltaResponseHeader,
  entries: readonly Buffer[],
  removed: readonly string[],
): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(h.systemVersionInfo);
  w.uint32((4 << 3) | 2).string(h.typeUrl);
  w.uint32((5 << 3) | 2).string(h.nonce);
  for (const name of removed) w.uint32((6 << 3) | 2).string(name);
  w.uint32((7 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(h.controlPlane)
    .ldelim();
  return Buffer.concat([w.finish(), ...entries]);
}
