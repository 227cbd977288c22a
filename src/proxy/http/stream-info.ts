// What a request's stages record about it, for routing decisions, headers and the access log.
import type { IncomingHttpHeaders } from 'node:http';

/** Envoy's response flags, in the order Envoy prints them. */
export const RESPONSE_FLAGS = [
  'DC', // downstream connection termination
  'DI', // request delayed by fault injection
  'FI', // request aborted by fault injection
  'LH', // local service failed health check
  'NR', // no route configured
  'UAEX', // unauthorized by external service
  'UC', // upstream connection termination
  'UF', // upstream connection failure
  'UH', // no healthy upstream host
  'UO', // upstream overflow (circuit breaking)
  'UR', // upstream remote reset
  'URX', // upstream retry limit exceeded
  'UT', // upstream request timeout
  'RL', // rate limited
  'DPE', // downstream protocol error
  'UPE', // upstream protocol error
  'RBAC', // denied by RBAC (Envoy prints "RBAC" in %RESPONSE_FLAGS% as of v1.27: "RBAC")
  'SI', // stream idle timeout
  'NC', // no cluster found
] as const;

export type ResponseFlag = (typeof RESPONSE_FLAGS)[number];

const FLAG_BIT = new Map<string, number>(RESPONSE_FLAGS.map((f, i) => [f, 1 << i]));

export function flagBit(flag: ResponseFlag): number {
  return FLAG_BIT.get(flag)!;
}

export function formatFlags(bits: number): string {
  if (bits === 0) return '-';
  const out: string[] = [];
  for (let i = 0; i < RESPONSE_FLAGS.length; i++) if (bits & (1 << i)) out.push(RESPONSE_FLAGS[i]!);
  return out.join(',');
}

export class StreamInfo {
  readonly startTime: number = Date.now();
  readonly startMs: number = performance.now();
  method = '';
  /** The request path as received (before rewrites), with its query string. */
  originalPath = '';
  path = '';
  authority = '';
  scheme = 'http';
  protocol = 'HTTP/1.1';
  headers: IncomingHttpHeaders = {};
  remoteAddress = '';
  remotePort = 0;
  localAddress = '';
  localPort = 0;
  requestId = '';
  responseCode = 0;
  responseCodeDetails = '';
  flags = 0;
  bytesReceived = 0;
  bytesSent = 0;
  durationMs = -1;
  upstreamServiceTimeMs = -1;
  upstreamHost = '';
  upstreamCluster = '';
  upstreamLocalAddress = '';
  upstreamTransportFailureReason = '';
  /** SNI the downstream TLS client asked for. */
  requestedServerName = '';
  /** Upstream attempts made (1 + retries); 0 when none was made. */
  attemptCount = 0;
  routeName = '';
  virtualHostName = '';
  /** Response headers as sent, for %RESP(x)%. */
  responseHeaders: Record<string, string | string[] | number | undefined> = {};

  setFlag(flag: ResponseFlag): void {
    this.flags |= flagBit(flag);
  }
  hasFlag(flag: ResponseFlag): boolean {
    return (this.flags & flagBit(flag)) !== 0;
  }
}
