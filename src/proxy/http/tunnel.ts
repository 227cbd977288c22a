// Connections that leave HTTP after one request: WebSocket-style upgrades and CONNECT (the local
// HTTP-proxy listener's tunnels). Route selection and failures behave as for any request.
import type { IncomingMessage } from 'node:http';
import type net from 'node:net';
import { closeAfterWrites, ServerResponse } from '../http1/index.ts';
import type { ServerRequest } from '../http1/index.ts';
import { nodeHttp } from '../node-http.ts';
import type { RouteAction } from '../router/route-config.ts';
import { matchRoute } from '../router/match.ts';
import { readyEvent } from '../upstream/pool.ts';
import type { HttpConnectionManager } from './connection-manager.ts';
import { endToEndHeaders } from './edge.ts';
import { selectUpstream } from './router.ts';
import type { UpstreamTarget } from './router.ts';
import type { HttpStream } from './stream.ts';

/** The answer to a tunnel request that does not become a tunnel; the connection ends after it. */
function localResponse(req: ServerRequest, socket: net.Socket): ServerResponse {
  const res = new ServerResponse(
    socket,
    { responseDone: () => closeAfterWrites(socket) },
    req.method,
    false,
    false,
  );
  socket.once('close', () => res.connectionClosed());
  return res;
}

/** Splices two sockets together; the request's accounting ends when both sides are gone. */
function splice(
  hcm: HttpConnectionManager,
  stream: HttpStream,
  target: UpstreamTarget,
  a: net.Socket,
  b: net.Socket,
  status: number,
): void {
  const info = stream.info;
  a.on('data', (c: Buffer) => (info.bytesReceived += c.length));
  b.on('data', (c: Buffer) => (info.bytesSent += c.length));
  a.pipe(b);
  b.pipe(a);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    a.destroy();
    b.destroy();
    target.cluster.stats.upstream_rq_active.dec();
    target.host.activeRequests--;
    hcm.complete(stream, status);
  };
  a.on('error', close);
  b.on('error', close);
  a.on('close', close);
  b.on('close', close);
}

function begin(target: UpstreamTarget): void {
  target.cluster.stats.upstream_rq_total.inc();
  target.cluster.stats.upstream_rq_active.inc();
  target.host.rqTotal++;
  target.host.activeRequests++;
}

/** Bytes a client may send before its tunnel is open; past them it is read no further until then. */
const MAX_EARLY_BYTES = 64 * 1024;

interface Waiting {
  /** True for the first of the answer, the failure and the client's going away. */
  claim(): boolean;
  /** What the client sent after its request head, for the upstream once the tunnel is open. */
  readonly early: Buffer[];
}

/**
 * Waits for the upstream's answer to a tunnel request, which the client may not: when it goes away
 * first, the upstream connection goes too and the request ends (DC). The client's socket is read
 * meanwhile (a close is only seen by reading), and what it sends is kept for the upstream.
 */
function awaitUpstream(
  hcm: HttpConnectionManager,
  stream: HttpStream,
  target: UpstreamTarget,
  socket: net.Socket,
  head: Buffer,
  abort: () => void,
): Waiting {
  let waiting = true;
  const early = head.length ? [head] : [];
  let held = head.length;
  const hold = (chunk: Buffer) => {
    early.push(chunk);
    held += chunk.length;
    if (held > MAX_EARLY_BYTES) socket.pause();
  };
  socket.on('data', hold);
  socket.resume();
  const gaveUp = () => {
    if (!waiting) return;
    waiting = false;
    abort();
    stream.info.setFlag('DC');
    target.cluster.stats.upstream_rq_cancelled.inc();
    target.cluster.stats.upstream_rq_active.dec();
    target.host.activeRequests--;
    hcm.complete(stream, 0);
  };
  socket.once('close', gaveUp);
  const claim = () => {
    if (!waiting) return false;
    waiting = false;
    socket.removeListener('close', gaveUp);
    socket.removeListener('data', hold);
    socket.pause();
    return true;
  };
  return { claim, early };
}

function fail(stream: HttpStream, target: UpstreamTarget, e: Error): void {
  target.cluster.stats.upstream_rq_active.dec();
  target.host.activeRequests--;
  target.host.rqError++;
  stream.sendLocalReply(
    503,
    `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${e.message}`,
    'UF',
  );
  stream.hcm.complete(stream, 503);
}

export function handleUpgrade(
  hcm: HttpConnectionManager,
  req: ServerRequest,
  socket: net.Socket,
  head: Buffer,
): void {
  const res = localResponse(req, socket);
  const type = String(req.headers.upgrade ?? '').toLowerCase();
  const stream = hcm.prepareStream(req, res, false, true);
  if (!stream) return;
  const action = stream.route?.action.kind === 'route' ? (stream.route.action as RouteAction) : undefined;
  const allowed = action?.upgrades.get(type) ?? hcm.config.upgrades.get(type) ?? false;
  if (stream.route && action && !allowed) {
    hcm.stats.downstream_rq_ws_on_non_ws_route.inc();
    stream.sendLocalReply(403, '', undefined, 'upgrade_failed');
    hcm.complete(stream, 403);
    return;
  }
  const target = selectUpstream(stream);
  if (!target) {
    hcm.complete(stream, res.statusCode);
    return;
  }
  const headers = endToEndHeaders(stream.headers);
  headers.connection = 'Upgrade';
  headers.upgrade = type;
  headers.host = target.authority;
  begin(target);
  const started = performance.now();
  const upstream = nodeHttp.request({
    method: stream.info.method,
    path: target.path,
    headers,
    setHost: false,
    // No agent: the connection comes from createConnection and is never pooled.
    createConnection: () => target.cluster.connect(target.host),
  });
  const { claim, early } = awaitUpstream(hcm, stream, target, socket, head, () => upstream.destroy());
  let declined = false;
  upstream.on('upgrade', (ures: IncomingMessage, usock: net.Socket, uhead: Buffer) => {
    if (!claim()) {
      usock.destroy();
      return;
    }
    stream.info.upstreamServiceTimeMs = performance.now() - started;
    target.cluster.stats.code(101);
    const lines = [`HTTP/1.1 101 ${ures.statusMessage || 'Switching Protocols'}`];
    for (let i = 0; i < ures.rawHeaders.length; i += 2)
      lines.push(`${ures.rawHeaders[i]}: ${ures.rawHeaders[i + 1]}`);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    if (uhead.length) socket.write(uhead);
    for (const chunk of early) usock.write(chunk);
    splice(hcm, stream, target, socket, usock, 101);
  });
  upstream.on('response', (ures: IncomingMessage) => {
    // The upstream declined the upgrade: relay its answer as a normal response.
    if (!claim()) return;
    declined = true;
    target.cluster.stats.code(ures.statusCode ?? 502);
    const out = endToEndHeaders(ures.headers);
    hcm.decorateResponse(stream, out);
    res.writeHead(ures.statusCode ?? 502, out as Record<string, string | string[]>);
    ures.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) ures.pause();
    });
    res.on('drain', () => ures.resume());
    ures.once('end', () => res.end());
    res.once('close', () => {
      target.cluster.stats.upstream_rq_active.dec();
      target.host.activeRequests--;
      hcm.complete(stream, ures.statusCode ?? 502);
    });
  });
  upstream.on('error', (e) => {
    if (claim()) fail(stream, target, e);
    // The declined answer broke off: so does its relay (its close event ends the request).
    else if (declined) res.destroy();
  });
  upstream.end();
}

export function handleConnect(
  hcm: HttpConnectionManager,
  req: ServerRequest,
  socket: net.Socket,
  head: Buffer,
): void {
  // A CONNECT target is the authority (host:port); it has no path.
  req.headers.host = req.url ?? '';
  req.url = '/';
  const res = localResponse(req, socket);
  const stream = hcm.prepareStream(req, res, false, true);
  if (!stream) return;
  stream.info.originalPath = '';
  // Routes with connect_matcher take CONNECT; otherwise, as a local-mode HTTP proxy, the virtual
  // host's route for "/" decides the destination (Istio's Sidecar egress HTTP_PROXY port).
  if (!stream.route && stream.vhost)
    stream.route = matchRoute(stream.vhost, 'GET', '/', '/', '', stream.headers);
  const target = selectUpstream(stream);
  if (!target) {
    hcm.complete(stream, res.statusCode);
    return;
  }
  begin(target);
  const started = performance.now();
  const upstream = target.cluster.connect(target.host);
  const { claim, early } = awaitUpstream(hcm, stream, target, socket, head, () => upstream.destroy());
  upstream.once('error', (e) => {
    if (claim()) fail(stream, target, e);
  });
  upstream.once(readyEvent(upstream), () => {
    if (!claim()) return;
    stream.info.upstreamServiceTimeMs = performance.now() - started;
    target.cluster.stats.code(200);
    socket.write('HTTP/1.1 200 OK\r\n\r\n');
    for (const chunk of early) upstream.write(chunk);
    splice(hcm, stream, target, socket, upstream, 200);
  });
}
