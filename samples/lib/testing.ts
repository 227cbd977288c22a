// A forward proxy for tests, standing in for a sidecar's outbound listener: it takes absolute-form
// requests (GET http://reviews:9080/reviews/0), records them, and forwards each to the local
// address the test gave for that service name.
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  /** The request target as received: absolute form when the client used the proxy properly. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

export interface TestProxy {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Sends requests for `authority` (name:port) to `baseUrl`; an unknown authority gets 503. */
  route(authority: string, baseUrl: string): void;
  /** Makes every request for `authority` fail with `status` without forwarding. */
  fail(authority: string, status: number): void;
  close(): Promise<void>;
}

export async function startTestProxy(): Promise<TestProxy> {
  const routes = new Map<string, string>();
  const failures = new Map<string, number>();
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected\n');
      return;
    }
    const failStatus = failures.get(target.host);
    if (failStatus !== undefined) {
      res.writeHead(failStatus).end('fault injected by test proxy\n');
      return;
    }
    const base = routes.get(target.host);
    if (!base) {
      res.writeHead(503).end('no healthy upstream');
      return;
    }
    const upstream = request(
      new URL(target.pathname + target.search, base),
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('upstream connect error');
      else res.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    route: (authority, baseUrl) => {
      failures.delete(authority);
      routes.set(authority, baseUrl);
    },
    fail: (authority, status) => failures.set(authority, status),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
