// The simulated sidecars' side of an ADS stream, as cheap as Envoy's: gRPC over one HTTP/2
// connection per sidecar (node:http2), messages taken from the DATA frames they arrived in and read
// in place, as Envoy's gRPC client hands its protobuf parser a chain of buffer slices. grpc-js's
// client instead copies every message into one new buffer and passes it through several layers of
// calls: for 1000 sidecars receiving a 0.5 MB route configuration that was about three times the
// CPU of receiving the bytes, spent on the two cores the control plane runs on (control-plane.md).
import * as http2 from 'node:http2';

/** Bytes received in pieces (the DATA frames of a message), read where they lie. */
export class Pieces {
  readonly length: number;
  readonly #chunks: readonly Buffer[];
  /** Where each chunk starts. */
  readonly #starts: number[] = [];
  /** The chunk read last: reading moves mostly forward. */
  #at = 0;

  constructor(chunks: readonly Buffer[]) {
    this.#chunks = chunks;
    let length = 0;
    for (const c of chunks) {
      this.#starts.push(length);
      length += c.length;
    }
    this.length = length;
  }

  static of(b: Buffer): Pieces {
    return new Pieces([b]);
  }

  /** The index of the chunk holding byte `i`. */
  #chunk(i: number): number {
    let k = this.#at;
    while (k > 0 && this.#starts[k]! > i) k--;
    while (k + 1 < this.#chunks.length && this.#starts[k + 1]! <= i) k++;
    this.#at = k;
    return k;
  }

  byte(i: number): number {
    const k = this.#chunk(i);
    return this.#chunks[k]![i - this.#starts[k]!]!;
  }

  /** Bytes [start, end): a view when they lie in one chunk, a copy otherwise. */
  slice(start: number, end: number): Buffer {
    const k = this.#chunk(start);
    const from = start - this.#starts[k]!;
    const chunk = this.#chunks[k]!;
    if (from + (end - start) <= chunk.length) return chunk.subarray(from, from + (end - start));
    const out = Buffer.allocUnsafe(end - start);
    for (let at = start; at < end; ) {
      const j = this.#chunk(at);
      const c = this.#chunks[j]!;
      const off = at - this.#starts[j]!;
      const n = Math.min(c.length - off, end - at);
      c.copy(out, at - start, off, off + n);
      at += n;
    }
    return out;
  }
}

/** Calls `visit` with the range of each length-delimited field of the message in [start, end);
 * other fields are skipped. */
export function eachField(
  b: Pieces,
  start: number,
  end: number,
  visit: (field: number, from: number, to: number) => void,
): void {
  let i = start;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b.byte(i++);
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return v;
    }
  };
  while (i < end) {
    const tag = varint();
    const wire = tag % 8;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else {
      const len = varint();
      visit(Math.floor(tag / 8), i, i + len);
      i += len;
    }
  }
}

/** gRPC's message prefix: not compressed, then the length. */
function framed(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export interface BidiStream {
  write(message: Uint8Array): void;
}

/** One bidirectional gRPC call on its own HTTP/2 connection, with `window` bytes of flow-control
 * window per stream and for the connection; `onMessage` gets each response message in place. */
export function openStream(
  port: number,
  path: string,
  window: number,
  onMessage: (message: Pieces) => void,
): BidiStream {
  const session = http2.connect(`http://127.0.0.1:${port}`, {
    settings: { initialWindowSize: window },
    maxSessionMemory: Number.MAX_SAFE_INTEGER,
  });
  session.once('remoteSettings', () => session.setLocalWindowSize(window));
  session.on('error', () => undefined);
  const stream = session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => undefined);
  let chunks: Buffer[] = [];
  let have = 0;
  /** The length of the message being received, prefix included, once its prefix is in. */
  let want = -1;
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    have += chunk.length;
    for (;;) {
      if (want < 0) {
        if (have < 5) return;
        const prefix = new Pieces(chunks);
        want = 5 + ((prefix.byte(1) << 24) | (prefix.byte(2) << 16) | (prefix.byte(3) << 8) | prefix.byte(4));
      }
      if (have < want) return;
      // The message's pieces; what follows it starts the next one.
      const message: Buffer[] = [];
      let skip = 5;
      let left = want - 5;
      let rest: Buffer[] = [];
      for (const [k, c] of chunks.entries()) {
        const from = Math.min(skip, c.length);
        skip -= from;
        const n = Math.min(c.length - from, left);
        if (n > 0) message.push(c.subarray(from, from + n));
        left -= n;
        if (left === 0 && skip === 0) {
          const tail = c.subarray(from + n);
          rest = [...(tail.length > 0 ? [tail] : []), ...chunks.slice(k + 1)];
          break;
        }
      }
      chunks = rest;
      have -= want;
      want = -1;
      onMessage(new Pieces(message));
    }
  });
  return { write: (message) => stream.write(framed(message)) };
}
