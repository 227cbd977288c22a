// Envoy's substitution format strings (%START_TIME%, %REQ(X?Y):N%, %RESPONSE_FLAGS% …), used by the
// access log and by header values. Compiled once into an array of parts.
import type { Reader } from '../xds/decode/read.ts';
import { formatFlags } from './stream-info.ts';
import type { StreamInfo } from './stream-info.ts';

export type Formatter = (info: StreamInfo) => string;

/** Envoy's default access log format. */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

type Part = string | Formatter;

let lastMs = NaN;
let lastIso = '';

/** ISO 8601 time of a millisecond timestamp; busy proxies log many requests per millisecond. */
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

function dash(v: string | number | undefined): string {
  return v === undefined || v === '' || v === -1 ? '-' : String(v);
}

function header(info: StreamInfo, name: string): string | undefined {
  switch (name) {
    case ':method':
      return info.method;
    case ':path':
      return info.originalPath;
    case ':authority':
      return info.authority;
    case ':scheme':
      return info.scheme;
  }
  const v = info.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function respHeader(info: StreamInfo, name: string): string | undefined {
  const v = info.responseHeaders[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v);
}

function truncate(f: (info: StreamInfo) => string | undefined, max: number | undefined): Formatter {
  return (info) => {
    const v = f(info);
    return dash(max !== undefined && v !== undefined ? v.slice(0, max) : v);
  };
}

function command(
  r: Reader,
  name: string,
  arg: string | undefined,
  max: number | undefined,
  path: string,
): Formatter {
  switch (name) {
    case 'START_TIME':
      return (i) => isoTime(i.startTime);
    case 'PROTOCOL':
      return (i) => i.protocol;
    case 'RESPONSE_CODE':
      return (i) => String(i.responseCode);
    case 'RESPONSE_CODE_DETAILS':
      return (i) => dash(i.responseCodeDetails);
    case 'RESPONSE_FLAGS':
      return (i) => formatFlags(i.flags);
    case 'BYTES_RECEIVED':
      return (i) => String(i.bytesReceived);
    case 'BYTES_SENT':
      return (i) => String(i.bytesSent);
    case 'DURATION':
      return (i) => dash(i.durationMs < 0 ? -1 : Math.round(i.durationMs));
    case 'UPSTREAM_HOST':
      return (i) => dash(i.upstreamHost);
    case 'UPSTREAM_CLUSTER':
      return (i) => dash(i.upstreamCluster);
    case 'UPSTREAM_LOCAL_ADDRESS':
      return (i) => dash(i.upstreamLocalAddress);
    case 'UPSTREAM_TRANSPORT_FAILURE_REASON':
      return (i) => dash(i.upstreamTransportFailureReason);
    case 'REQUESTED_SERVER_NAME':
      return (i) => dash(i.requestedServerName);
    case 'CONNECTION_TERMINATION_DETAILS':
      // Only set when a network filter closes the connection, which no filter here does.
      return () => '-';
    case 'UPSTREAM_REQUEST_ATTEMPT_COUNT':
      return (i) => String(i.attemptCount);
    case 'ROUTE_NAME':
      return (i) => dash(i.routeName);
    case 'VIRTUAL_CLUSTER_NAME':
      return () => '-';
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return (i) => `${i.remoteAddress}:${i.remotePort}`;
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return (i) => i.remoteAddress;
    case 'DOWNSTREAM_LOCAL_ADDRESS':
      return (i) => `${i.localAddress}:${i.localPort}`;
    case 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT':
      return (i) => i.localAddress;
    case 'REQUEST_DURATION':
    case 'RESPONSE_DURATION':
      return (i) => dash(i.upstreamServiceTimeMs < 0 ? -1 : Math.round(i.upstreamServiceTimeMs));
    case 'HOSTNAME':
      return () => process.env.HOSTNAME ?? 'localhost';
    case 'REQ':
    case 'RESP': {
      if (!arg) return r.fail(path, `%${name}(…)% needs a header name`);
      const [main, alt] = arg.toLowerCase().split('?') as [string, string | undefined];
      const get = name === 'REQ' ? header : respHeader;
      return truncate((i) => get(i, main) ?? (alt ? get(i, alt) : undefined), max);
    }
    default:
      return r.fail(path, `unknown format command %${name}%`);
  }
}

const COMMAND = /%([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?%/g;

export function compileFormat(r: Reader, format: string, path: string): Formatter {
  const parts: Part[] = [];
  let last = 0;
  for (const m of format.matchAll(COMMAND)) {
    if (m.index > last) parts.push(format.slice(last, m.index));
    parts.push(command(r, m[1]!, m[2], m[3] === undefined ? undefined : Number(m[3]), path));
    last = m.index + m[0].length;
  }
  if (last < format.length) parts.push(format.slice(last).replace(/%%/g, '%'));
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const s = parts[0];
    return () => s;
  }
  return (info) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(info);
    return out;
  };
}
