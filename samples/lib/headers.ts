// Headers an app copies from the request it serves onto the requests it makes, so the mesh can tie
// the calls of one user request together (tracing, access logs) and route on the user (end-user).
import type { IncomingHttpHeaders } from 'node:http';

export const PROPAGATED_HEADERS: readonly string[] = [
  'x-request-id',
  // W3C trace context
  'traceparent',
  'tracestate',
  // Zipkin B3, multi-header and single-header forms
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  // Lightstep, Datadog, Cloud Trace, OpenCensus binary, SkyWalking
  'x-ot-span-context',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'sw8',
  // application headers
  'end-user',
  'user-agent',
];

/** The propagated headers present on an incoming request, with `extra` added on top. */
export function forwardHeaders(
  incoming: IncomingHttpHeaders,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROPAGATED_HEADERS) {
    const value = incoming[name];
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  return { ...out, ...extra };
}
