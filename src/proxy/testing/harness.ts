// Test fixtures: a proxy wired to a TestAdsServer, echo upstreams, and a small HTTP client.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../envoy/index.ts';
import { bootstrapFrom } from '../bootstrap.ts';
import { Proxy } from '../proxy.ts';
import type { ApiType } from '../xds/index.ts';
import { TestAdsServer } from './ads-server.ts';
import type { Packed } from './resources.ts';

export interface Echo {
  readonly name: string;
  readonly port: number;
  readonly server: http.Server;
  /** Requests seen, in order. */
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** An upstream answering JSON {name, method, url, headers}; `handler` may answer instead. */
export async function echoServer(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): Promise<Echo> {
  const seen: Echo['seen'] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (handler?.(req, res)) return;
      const body = JSON.stringify({
        name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
      res.end(body);
    });
  });
  // Upgraded connections leave the server's bookkeeping; they are closed with the rest.
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

const agent = new http.Agent({ keepAlive: false });

export function request(
  port: number,
  path: string,
  options: {
    method?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: string;
    host?: string;
    agent?: http.Agent;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface Harness {
  readonly ads: TestAdsServer;
  readonly proxy: Proxy;
  adminPort(): number;
  /** Bound port of a listener by name. */
  port(listener: string): number;
  /** Sets resources of every given type and waits until the proxy ACKed each. */
  push(config: {
    clusters?: Packed[];
    endpoints?: Packed[];
    listeners?: Packed[];
    routes?: Packed[];
  }): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { drain?: string; readiness?: boolean; apiType?: ApiType } = {},
): Promise<Harness> {
  const ads = new TestAdsServer();
  await ads.start();
  const bootstrap = bootstrapFrom({
    node: {
      id: 'sidecar~127.0.0.1~test-1.default~default.svc.cluster.local',
      cluster: 'test.default',
      metadata: { NAME: 'test-1', NAMESPACE: 'default', INTERCEPTION_MODE: 'NONE', LABELS: { app: 'test' } },
    },
    xds: {
      address: ads.address,
      backoff: { base: '50ms', max: '200ms' },
      ...(options.apiType ? { apiType: options.apiType } : {}),
    },
    admin: { address: '127.0.0.1:0' },
    ...(options.readiness ? { readiness: { address: '127.0.0.1:0' } } : {}),
    drainDuration: options.drain ?? '200ms',
  });
  const logs: string[] = [];
  const proxy = new Proxy(bootstrap, {
    log: (l) => {
      logs.push(l);
      if (process.env.CARAVEL_TEST_PROXY_LOG) process.stderr.write(`${l}\n`);
    },
  });
  await proxy.start();
  const harness: Harness = {
    ads,
    proxy,
    adminPort: () => proxy.admin.port('admin')!,
    port(name) {
      const l = proxy.listeners.get(name);
      if (!l) throw new Error(`no listener ${name}; log:\n${logs.join('\n')}`);
      return l.boundPort;
    },
    async push(config) {
      const waits: Promise<unknown>[] = [];
      const order: [string, Packed[] | undefined][] = [
        [CLUSTER_TYPE, config.clusters],
        [ENDPOINT_TYPE, config.endpoints],
        [LISTENER_TYPE, config.listeners],
        [ROUTE_TYPE, config.routes],
      ];
      for (const [type, items] of order) {
        if (!items) continue;
        const version = ads.set(type, items);
        waits.push(ads.acked(type, version));
      }
      await Promise.all(waits);
    },
    async close() {
      await proxy.stop(0);
      await ads.stop();
    },
  };
  return harness;
}
