// One downstream request on its way through the connection manager's filters to the router.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { ServerRequest, ServerResponse } from '../http1/index.ts';
import type { Route, RouteTable, VirtualHost } from '../router/route-config.ts';
import type { HttpConnectionManager } from './connection-manager.ts';
import { StreamInfo } from './stream-info.ts';
import type { ResponseFlag } from './stream-info.ts';

export type DownstreamRequest = ServerRequest | Http2ServerRequest;
export type DownstreamResponse = ServerResponse | Http2ServerResponse;

export class HttpStream {
  readonly info = new StreamInfo();
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly hcm: HttpConnectionManager;
  /** Request headers as they will go upstream (no pseudo headers, no hop-by-hop headers). */
  headers: IncomingHttpHeaders;
  /** Whether the request has a body (HTTP/1: a length or chunked framing; HTTP/2: no END_STREAM on its headers). */
  hasBody = false;
  pathOnly = '';
  query = '';
  table: RouteTable | undefined;
  vhost: VirtualHost | undefined;
  route: Route | undefined;
  /** Response headers filters add (Set-Cookie of a hash policy, for example). */
  extraResponseHeaders: [string, string][] | undefined;
  /** Set once the downstream went away; the router then cancels its upstream request. */
  downstreamClosed = false;
  /** Called by the router to cancel upstream work when the downstream disappears. */
  onDownstreamClose: (() => void) | undefined;

  constructor(
    hcm: HttpConnectionManager,
    req: DownstreamRequest,
    res: DownstreamResponse,
    headers: IncomingHttpHeaders,
  ) {
    this.hcm = hcm;
    this.req = req;
    this.res = res;
    this.headers = headers;
  }

  setPath(path: string): void {
    this.info.path = path;
    const q = path.indexOf('?');
    this.pathOnly = q < 0 ? path : path.slice(0, q);
    this.query = q < 0 ? '' : path.slice(q + 1);
  }

  /** The route-level, else virtual-host-level per-filter config of a filter. */
  perFilterConfig<T>(filterName: string): T | undefined {
    return (this.route?.perFilter.get(filterName) ?? this.vhost?.perFilter.get(filterName)) as T | undefined;
  }

  get responded(): boolean {
    return this.res.headersSent || this.downstreamClosed;
  }

  /** Answers the request locally (Envoy's local reply): status, text body, response flag and details. */
  sendLocalReply(status: number, body: string, flag?: ResponseFlag, details?: string): void {
    if (flag) this.info.setFlag(flag);
    if (details) this.info.responseCodeDetails = details;
    if (this.responded) {
      if (!this.res.writableEnded) this.res.destroy();
      return;
    }
    const headers: Record<string, string | string[]> = {};
    if (body) {
      headers['content-type'] = 'text/plain';
      headers['content-length'] = String(Buffer.byteLength(body));
    } else headers['content-length'] = '0';
    this.hcm.decorateResponse(this, headers);
    this.writeHead(status, headers);
    this.info.bytesSent += Buffer.byteLength(body);
    this.res.end(body);
  }

  /** Both codecs' responses take the same arguments; the union of their signatures does not type-check. */
  writeHead(status: number, headers: OutgoingHttpHeaders): void {
    (this.res as ServerResponse).writeHead(status, headers as Record<string, string | string[]>);
  }
}
