// Proxy status and debug endpoints on the monitoring port (Istio's 15014): /debug/syncz,
// /debug/configz, /debug/config_dump?proxyID=…, /version and /metrics.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../envoy/index.ts';
import type { Connection, TypeState } from './connection.ts';
import { syncStatus } from './connection.ts';
import type { DiscoveryServer } from './server.ts';

const TYPES = [
  ['cluster', CLUSTER_TYPE, 'CDS'],
  ['listener', LISTENER_TYPE, 'LDS'],
  ['route', ROUTE_TYPE, 'RDS'],
  ['endpoint', ENDPOINT_TYPE, 'EDS'],
] as const;

/** One row of `caravel proxy-status` (Istio's SyncStatus fields, plus NACK details). */
export interface ProxySyncStatus {
  readonly proxy: string;
  readonly proxy_type: string;
  readonly cluster_id: string;
  readonly istio_version: string;
  readonly connected_at: string;
  readonly [field: string]: unknown;
}

export function syncz(server: DiscoveryServer): ProxySyncStatus[] {
  return server.connections().map((c) => {
    const row: Record<string, unknown> = {
      proxy: c.proxy.id || c.proxy.podName,
      proxy_type: c.proxy.grpc ? 'grpc' : c.proxy.type,
      cluster_id: 'Kubernetes',
      istio_version: c.proxy.istioVersion,
      connected_at: c.connectedAt.toISOString(),
    };
    for (const [name, typeUrl, short] of TYPES) {
      const s: TypeState | undefined = c.types.get(typeUrl);
      row[`${name}_sent`] = s?.sentNonce ?? '';
      row[`${name}_acked`] = s?.ackedNonce ?? '';
      row[`${name}_sent_version`] = s?.sentVersion ?? '';
      row[`${name}_acked_version`] = s?.ackedVersion ?? '';
      row[short] = s?.nack ? 'NACK' : syncStatus(s);
      if (s?.nack)
        row[`${name}_nack`] = { version: s.nack.version, error: s.nack.message, at: s.nack.at.toISOString() };
    }
    return row as ProxySyncStatus;
  });
}

function findConnection(server: DiscoveryServer, id: string): Connection | undefined {
  return server
    .connections()
    .find((c) => c.proxy.id === id || `${c.proxy.podName}.${c.proxy.namespace}` === id || c.conId === id);
}

/** What was last sent to a proxy, in Envoy's admin config_dump shape. */
export function configDump(c: Connection): Record<string, unknown> {
  const state = (t: string) => c.types.get(t);
  const version = (t: string) => state(t)?.sentVersion ?? '';
  const sent = (t: string) => c.resources(t);
  return {
    configs: [
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        versionInfo: version(CLUSTER_TYPE),
        dynamicActiveClusters: sent(CLUSTER_TYPE).map((cluster) => ({
          versionInfo: version(CLUSTER_TYPE),
          cluster,
        })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        versionInfo: version(LISTENER_TYPE),
        dynamicListeners: sent(LISTENER_TYPE).map((listener) => ({
          name: listener.name,
          activeState: { versionInfo: version(LISTENER_TYPE), listener },
        })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
        dynamicRouteConfigs: sent(ROUTE_TYPE).map((routeConfig) => ({
          versionInfo: version(ROUTE_TYPE),
          routeConfig,
        })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
        dynamicEndpointConfigs: sent(ENDPOINT_TYPE).map((endpointConfig) => ({
          versionInfo: version(ENDPOINT_TYPE),
          endpointConfig,
        })),
      },
    ],
  };
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': type });
  res.end(text);
}

export interface MonitoringOptions {
  readonly version: string;
}

export function handleMonitoring(
  server: DiscoveryServer,
  options: MonitoringOptions,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  switch (url.pathname) {
    case '/debug/syncz':
      return send(res, 200, syncz(server));
    case '/debug/configz':
      return send(res, 200, server.config.list());
    case '/debug/config_dump': {
      const id = url.searchParams.get('proxyID');
      if (!id)
        return send(res, 400, { error: 'proxyID is required: /debug/config_dump?proxyID=<pod>.<namespace>' });
      const c = findConnection(server, id);
      if (!c) return send(res, 404, { error: `proxy "${id}" is not connected` });
      return send(res, 200, configDump(c));
    }
    case '/version':
      return send(res, 200, { version: options.version, pushVersion: server.pushContext.version });
    case '/metrics':
      return send(res, 200, server.metrics.render(), 'text/plain; version=0.0.4');
    case '/ready':
      return send(res, 200, 'ready\n', 'text/plain');
    default:
      return send(res, 404, { error: `no such page: ${url.pathname}` });
  }
}

/** Starts the monitoring HTTP server on `host:port` (port 0 picks one). */
export async function startMonitoring(
  server: DiscoveryServer,
  options: MonitoringOptions & { host: string; port: number },
): Promise<{ server: Server; port: number }> {
  const http = createServer((req, res) => handleMonitoring(server, options, req, res));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  return { server: http, port: (http.address() as AddressInfo).port };
}
