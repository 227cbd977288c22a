// Caravel's HTTP/1.1 codec alone, one of the benchmark's reference points: the sidecar's own server
// and client connections (src/proxy/http1) with its end-to-end header copy, and nothing else (no
// routing, stats, retries, timeouts, circuit breaking or access log). Between this row and the
// sidecar's lies what the sidecar does per request beyond parsing and writing HTTP/1.1.
import net from 'node:net';
import { endToEndHeaders } from '../../src/proxy/http/edge.ts';
import { ConnectionSet, Http1Connection } from '../../src/proxy/http1/index.ts';
import type { ServerRequest, ServerResponse } from '../../src/proxy/http1/index.ts';

const [listenPort, upstream] = process.argv.slice(2);
if (!listenPort || !upstream) {
  console.error('usage: codec-only.ts LISTEN_PORT UPSTREAM_URL');
  process.exit(2);
}
const { hostname, port } = new URL(upstream);

/** Idle upstream keep-alive connections, the most recently used last. */
const idle: Http1Connection[] = [];

function upstreamConnection(): Http1Connection {
  let connection = idle.pop();
  while (connection && !connection.idle) connection = idle.pop();
  if (connection) return connection;
  const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
  return new Http1Connection(socket, 'connect', 60_000, () => {});
}

function forward(req: ServerRequest, res: ServerResponse): void {
  const connection = upstreamConnection();
  connection.request(
    { method: req.method, path: req.url, headers: endToEndHeaders(req.headers), body: null },
    {
      onStart: () => {},
      onResponse: (status, headers) => res.writeHead(status, endToEndHeaders(headers)),
      onData: (chunk) => res.write(chunk),
      onEnd: (_trailers, reusable) => {
        res.end();
        if (reusable) idle.push(connection);
      },
      onError: () => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502, { 'content-length': '0' }).end();
      },
    },
  );
}

const connections = new ConnectionSet(
  { maxHeaderBytes: 60 * 1024, idleTimeoutMs: 0, headersTimeoutMs: 60_000, requestTimeoutMs: 0 },
  {
    request: forward,
    // The benchmark sends no CONNECT or upgrade.
    tunnel: (_req, socket) => socket.destroy(),
    protocolError: () => {},
  },
);
net
  .createServer({ noDelay: true }, (socket) => connections.add(socket))
  .listen(Number(listenPort), '127.0.0.1');
