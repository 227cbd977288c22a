// Public face of the control plane: Istio config and the service registry in, xDS out.
//
// startControlPlane() wires a config input (the config store, or anything implementing
// ConfigInput), a service registry (which the local runtime feeds with pods through
// `registry.upsertPod` / `removePod`), the ADS server and the monitoring/debug HTTP server.
import type { Server } from 'node:http';
import { caravelVersion } from '../common/index.ts';
import { ServiceRegistry } from '../registry/index.ts';
import { CARAVEL_XDS_DEBOUNCE_MS, Settings } from '../settings/index.ts';
import { MemoryStore } from '../config/index.ts';
import type { ConfigInput } from './input.ts';
import type { MeshOptions } from './push-context.ts';
import { DEFAULT_MESH } from './push-context.ts';
import { DiscoveryServer } from './server.ts';
import { startMonitoring } from './status.ts';

export type { ConfigEvent, ConfigInput } from './input.ts';
export type { MeshOptions, OutboundMode } from './push-context.ts';
export { DEFAULT_MESH, PushContext } from './push-context.ts';
export { DiscoveryServer, XdsServeError } from './server.ts';
export type { DiscoveryServerOptions } from './server.ts';
export { configDump, syncz } from './status.ts';
export type { ProxySyncStatus } from './status.ts';
export { BadNodeError, proxyFromNode } from './proxy.ts';
export type { NodeInfo, Proxy } from './proxy.ts';
export { GENERATORS } from './generators.ts';
export type { Generator, PushRequest } from './generators.ts';
export { METRICS } from './metrics.ts';
export type { SyncStatus } from './connection.ts';

export interface ControlPlaneOptions {
  /** Address to bind; 127.0.0.1 unless given. */
  readonly host?: string;
  /** xDS (plaintext) port: Istio's 15010; 0 picks one. */
  readonly xdsPort?: number;
  /** Monitoring/debug port: Istio's 15014; 0 picks one. */
  readonly monitoringPort?: number;
  /** Where config comes from (a config store); an empty in-memory store when not given. */
  readonly config?: ConfigInput;
  readonly registry?: ServiceRegistry;
  readonly mesh?: Partial<MeshOptions>;
  readonly settings?: Settings;
  /** Overrides CARAVEL_XDS_DEBOUNCE_MS. */
  readonly debounceMs?: number;
}

export interface ControlPlane {
  readonly xdsPort: number;
  readonly monitoringPort: number;
  readonly registry: ServiceRegistry;
  readonly config: ConfigInput;
  readonly server: DiscoveryServer;
  close(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const host = options.host ?? '127.0.0.1';
  const settings = options.settings ?? new Settings();
  const mesh: MeshOptions = { ...DEFAULT_MESH, ...options.mesh };
  const registry = options.registry ?? new ServiceRegistry({ domain: mesh.domain });
  const config = options.config ?? new MemoryStore();
  const server = new DiscoveryServer({
    registry,
    config,
    mesh,
    debounceMs: options.debounceMs ?? settings.get(CARAVEL_XDS_DEBOUNCE_MS),
  });
  let monitoring: Server | undefined;
  try {
    const xdsPort = await server.listen(`${host}:${options.xdsPort ?? 15010}`);
    const m = await startMonitoring(server, {
      host,
      port: options.monitoringPort ?? 15014,
      version: caravelVersion(),
    });
    monitoring = m.server;
    return {
      xdsPort,
      monitoringPort: m.port,
      registry,
      config,
      server,
      async close() {
        await server.close();
        await new Promise<void>((resolve) => {
          monitoring?.closeAllConnections();
          monitoring?.close(() => resolve());
        });
      },
    };
  } catch (e) {
    await server.close();
    throw e;
  }
}
