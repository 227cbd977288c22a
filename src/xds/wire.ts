// DiscoveryResponse and DeltaDiscoveryResponse encoding: a response is its header fields followed
// by resource entries that were encoded once and are shared between proxies (see cache.ts).
//
// A response is built as a gRPC message frame (the 5-byte length prefix, then the message), so the
// same bytes can go to every stream that gets the response without a copy per stream (see
// passthrough.ts); `messageOf` is the message inside.
import protobuf from 'protobufjs';

/** gRPC's length prefix: a compression flag (0: not compressed) and the length, big-endian. */
export const FRAME_PREFIX = 5;

/** The message inside a frame (a view, not a copy). */
export function messageOf(frame: Buffer): Buffer {
  return frame.subarray(FRAME_PREFIX);
}

/** One gRPC message frame of the concatenated parts. */
function frame(parts: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = Buffer.allocUnsafe(FRAME_PREFIX + length);
  out[0] = 0;
  out.writeUInt32BE(length, 1);
  let at = FRAME_PREFIX;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface ResponseHeader {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly controlPlane: string;
}

/** envoy.service.discovery.v3.DiscoveryResponse from its header fields and encoded entries, framed. */
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
  return frame([w.finish(), ...bodies]);
}

export interface DeltaResponseHeader {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly controlPlane: string;
}

/** envoy.service.discovery.v3.DeltaDiscoveryResponse from its header fields, encoded `Resource`
 * entries and the names of removed resources, framed. */
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
  return frame([w.finish(), ...entries]);
}
