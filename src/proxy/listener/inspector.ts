// Listener inspection of a connection's first bytes (Envoy's tls_inspector and http_inspector):
// TLS or plain text, the SNI server name and ALPN protocols of a ClientHello, or h2c/HTTP/1.

export interface Detected {
  transportProtocol: 'tls' | 'raw_buffer';
  serverName: string;
  applicationProtocols: string[];
}

/** Bytes still needed before a decision: 0 when `data` suffices. */
export function needMore(data: Buffer): boolean {
  if (data.length === 0) return true;
  if (data[0] !== 0x16) return data.length < 3 && !data.includes(0x0a);
  if (data.length < 5) return true;
  const recordLength = data.readUInt16BE(3);
  return data.length < 5 + Math.min(recordLength, 16_384);
}

export function inspect(data: Buffer): Detected {
  if (data[0] === 0x16 && data.length >= 5) return { transportProtocol: 'tls', ...parseClientHello(data) };
  const text = data.toString('latin1', 0, Math.min(data.length, 24));
  let applicationProtocols: string[] = [];
  if (text.startsWith('PRI * HTTP/2.0')) applicationProtocols = ['h2c'];
  else if (
    /^[A-Z]+ \S+ HTTP\/1\.[01]/.test(
      data.toString('latin1', 0, Math.min(data.length, 8192)).split('\r\n')[0] ?? '',
    )
  )
    applicationProtocols = [data.includes('HTTP/1.0') ? 'http/1.0' : 'http/1.1'];
  return { transportProtocol: 'raw_buffer', serverName: '', applicationProtocols };
}

function parseClientHello(data: Buffer): { serverName: string; applicationProtocols: string[] } {
  const out = { serverName: '', applicationProtocols: [] as string[] };
  try {
    let p = 5;
    if (data[p] !== 0x01) return out; // not a ClientHello
    p += 4; // handshake type and length
    p += 2 + 32; // client version, random
    p += 1 + data[p]!; // session id
    p += 2 + data.readUInt16BE(p); // cipher suites
    p += 1 + data[p]!; // compression methods
    if (p + 2 > data.length) return out;
    const end = Math.min(data.length, p + 2 + data.readUInt16BE(p));
    p += 2;
    while (p + 4 <= end) {
      const type = data.readUInt16BE(p);
      const len = data.readUInt16BE(p + 2);
      const body = p + 4;
      if (type === 0 && body + 5 <= end) {
        // server_name: list length, then entries of (type, length, name); host_name is type 0.
        let q = body + 2;
        while (q + 3 <= body + len) {
          const nameType = data[q]!;
          const nameLen = data.readUInt16BE(q + 1);
          if (nameType === 0) out.serverName = data.toString('latin1', q + 3, q + 3 + nameLen).toLowerCase();
          q += 3 + nameLen;
        }
      } else if (type === 16 && body + 2 <= end) {
        let q = body + 2;
        while (q < body + len) {
          const l = data[q]!;
          out.applicationProtocols.push(data.toString('latin1', q + 1, q + 1 + l));
          q += 1 + l;
        }
      }
      p = body + len;
    }
  } catch {
    // A truncated or malformed hello simply yields no SNI/ALPN.
  }
  return out;
}
