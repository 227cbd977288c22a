// The admin API on the pod's loopback address (Envoy's endpoints), the readiness endpoint
// (/healthz/ready, as pilot-agent serves on 15021) and the Prometheus endpoint (15090).
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RE2 } from 're2-wasm';
import type { HostPort } from '../bootstrap.ts';
import type { LogLevel, Proxy } from '../proxy.ts';
import { VERSION } from '../proxy.ts';
import { nodeHttp } from '../node-http.ts';
import { clustersJson, clustersText } from './clusters.ts';
import { configDump } from './config-dump.ts';

type Handler = (proxy: Proxy, url: URL, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=UTF-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache, max-age=0',
  });
  res.end(body);
}

function json(res: ServerResponse, value: unknown): void {
  send(res, 200, JSON.stringify(value, null, 2) + '\n', 'application/json');
}

function postOnly(handler: Handler): Handler {
  return (proxy, url, req, res) => {
    if (req.method !== 'POST') {
      send(res, 405, 'This endpoint requires POST.\n');
      return;
    }
    handler(proxy, url, req, res);
  };
}

function statsFilter(url: URL, res: ServerResponse): RE2 | undefined | null {
  const filter = url.searchParams.get('filter');
  if (!filter) return undefined;
  try {
    return new RE2(filter, 'u');
  } catch (e) {
    send(res, 400, `Invalid re2 regex: ${(e as Error).message}\n`);
    return null;
  }
}

const ENDPOINTS: Record<string, { help: string; handler: Handler }> = {
  '/config_dump': {
    help: 'dump current Envoy configs (include_eds, resource)',
    handler: (p, url, _req, res) =>
      json(
        res,
        configDump(p, {
          includeEds: url.searchParams.has('include_eds'),
          resource: url.searchParams.get('resource') ?? undefined,
        }),
      ),
  },
  '/clusters': {
    help: 'upstream cluster status (format=json)',
    handler: (p, url, _req, res) =>
      url.searchParams.get('format') === 'json'
        ? json(res, clustersJson(p))
        : send(res, 200, clustersText(p)),
  },
  '/stats': {
    help: 'print server stats (filter, format=json|prometheus)',
    handler: async (p, url, _req, res) => {
      const format = url.searchParams.get('format');
      const filter = statsFilter(url, res);
      if (filter === null) return;
      const stats = await p.statsView();
      if (format === 'prometheus') return send(res, 200, stats.prometheus(), 'text/plain; version=0.0.4');
      if (format === 'json') {
        const all = stats.json();
        return json(res, filter ? { stats: all.stats.filter((s) => filter.test(s.name)) } : all);
      }
      send(res, 200, stats.text(filter ? (name) => filter.test(name) : undefined));
    },
  },
  '/stats/prometheus': {
    help: 'print server stats in prometheus format',
    handler: async (p, _url, _req, res) =>
      send(res, 200, (await p.statsView()).prometheus(), 'text/plain; version=0.0.4'),
  },
  '/ready': {
    help: 'print server state, return 200 if LIVE, otherwise return 503',
    handler: (p, _url, _req, res) =>
      send(res, p.ready ? 200 : 503, p.draining ? 'DRAINING\n' : p.ready ? 'LIVE\n' : 'PRE_INITIALIZING\n'),
  },
  '/server_info': {
    help: 'print server version/status information',
    handler: (p, _url, _req, res) =>
      json(res, {
        version: `caravel/${VERSION}`,
        state: p.draining ? 'DRAINING' : p.ready ? 'LIVE' : 'PRE_INITIALIZING',
        hot_restart_version: 'disabled',
        command_line_options: {
          concurrency: 1,
          drain_time: `${p.bootstrap.drainMs / 1000}s`,
          mode: 'Serve',
          service_cluster: p.bootstrap.node.cluster,
          service_node: p.bootstrap.node.id,
        },
        node: {
          id: p.bootstrap.node.id,
          cluster: p.bootstrap.node.cluster,
          metadata: p.bootstrap.node.metadata,
          user_agent_name: 'caravel',
          user_agent_version: VERSION,
        },
        uptime_current_epoch: `${p.uptimeSeconds()}s`,
        uptime_all_epochs: `${p.uptimeSeconds()}s`,
      }),
  },
  '/listeners': {
    help: 'print listener info (format=json)',
    handler: (p, url, _req, res) => {
      const all = p.listeners
        .all()
        .map((l) => ({ name: l.config.name, address: `${l.config.host}:${l.boundPort}` }));
      if (url.searchParams.get('format') === 'json')
        return json(res, {
          listener_statuses: all.map((l) => ({
            name: l.name,
            local_address: {
              socket_address: {
                address: l.address.slice(0, l.address.lastIndexOf(':')),
                port_value: Number(l.address.slice(l.address.lastIndexOf(':') + 1)),
              },
            },
          })),
        });
      send(res, 200, all.map((l) => `${l.name}::${l.address}`).join('\n') + '\n');
    },
  },
  '/logging': {
    help: 'query/change logging levels (level=debug|info|warn|error)',
    handler: (p, url, req, res) => {
      const level = url.searchParams.get('level');
      if (level) {
        if (req.method !== 'POST') return send(res, 405, 'This endpoint requires POST.\n');
        const mapped =
          level === 'warning'
            ? 'warn'
            : level === 'trace'
              ? 'debug'
              : level === 'critical' || level === 'off'
                ? 'error'
                : level;
        if (!['debug', 'info', 'warn', 'error'].includes(mapped))
          return send(res, 404, `unknown logger level: ${level}\n`);
        p.logLevel = mapped as LogLevel;
      }
      send(res, 200, `active loggers:\n  caravel: ${p.logLevel}\n`);
    },
  },
  '/quitquitquit': {
    help: 'exit the server',
    handler: postOnly((p, _url, _req, res) => {
      send(res, 200, 'OK\n');
      p.quit();
    }),
  },
  '/drain_listeners': {
    help: 'drain listeners',
    handler: postOnly((p, _url, _req, res) => {
      send(res, 200, 'OK\n');
      void p.listeners.close(p.bootstrap.drainMs);
    }),
  },
};

function index(): string {
  return (
    ['admin commands are:', ...Object.entries(ENDPOINTS).map(([path, e]) => `  ${path}: ${e.help}`)].join(
      '\n',
    ) + '\n'
  );
}

export class AdminServer {
  readonly #proxy: Proxy;
  readonly #servers: http.Server[] = [];
  #ports = new Map<string, number>();

  constructor(proxy: Proxy) {
    this.#proxy = proxy;
  }

  /** Bound ports by role: admin, readiness, prometheus. */
  port(role: 'admin' | 'readiness' | 'prometheus'): number | undefined {
    return this.#ports.get(role);
  }

  async listen(): Promise<void> {
    const b = this.#proxy.bootstrap;
    await this.#serve('admin', b.admin, (url, req, res) => {
      const e = ENDPOINTS[url.pathname];
      if (e) return e.handler(this.#proxy, url, req, res);
      send(res, url.pathname === '/' ? 200 : 404, index());
    });
    if (b.readiness)
      await this.#serve('readiness', b.readiness, (url, _req, res) => {
        if (url.pathname === '/healthz/ready') send(res, this.#proxy.ready ? 200 : 503, '');
        else send(res, 404, '');
      });
    if (b.prometheus)
      await this.#serve('prometheus', b.prometheus, (url, req, res) => {
        if (url.pathname === '/stats/prometheus')
          ENDPOINTS['/stats/prometheus']!.handler(this.#proxy, url, req, res);
        else send(res, 404, '');
      });
  }

  async #serve(
    role: string,
    at: HostPort,
    handle: (url: URL, req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<void> {
    const server = nodeHttp.createServer((req, res) => {
      const fail = (e: unknown) => send(res, 500, `${(e as Error).message}\n`);
      try {
        void Promise.resolve(handle(new URL(req.url ?? '/', 'http://admin'), req, res)).catch(fail);
      } catch (e) {
        fail(e);
      }
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
    this.#ports.set(role, (server.address() as AddressInfo).port);
    this.#servers.push(server);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }
}
