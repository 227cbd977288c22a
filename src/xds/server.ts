// The discovery server: watches config and the registry, debounces changes into pushes, and
// serves the Aggregated Discovery Service (state of the world and incremental) to every connected
// proxy.
import * as grpc from '@grpc/grpc-js';
import type { Resource } from '../api/index.ts';
import { discoveryPackageDefinition } from '../envoy/index.ts';
import { CaravelError } from '../errors/index.ts';
import type { RegistryChange, ServiceRegistry } from '../registry/index.ts';
import { resolveHost } from '../registry/index.ts';
import { ResourceCache } from './cache.ts';
import type { AdsStream, Connection, ConnectionContext } from './connection.ts';
import { SotwConnection } from './connection.ts';
import type { DeltaAdsStream } from './delta.ts';
import { DeltaConnection } from './delta.ts';
import type { PushRequest } from './generators.ts';
import { mergeRequests } from './generators.ts';
import { framedResponses } from './passthrough.ts';
import { messageOf } from './wire.ts';
import type { ConfigEvent, ConfigInput } from './input.ts';
import { METRICS, XdsMetrics } from './metrics.ts';
import type { Proxy } from './proxy.ts';
import { proxyFromNode } from './proxy.ts';
import { Throttle } from './throttle.ts';
import type { MeshOptions } from './push-context.ts';
import { PushContext } from './push-context.ts';

export interface DiscoveryServerOptions {
  readonly registry: ServiceRegistry;
  readonly config: ConfigInput;
  readonly mesh: MeshOptions;
  /** Quiet time before a burst of changes is pushed. */
  readonly debounceMs: number;
  /** Longest a push waits while changes keep arriving. */
  readonly maxDebounceMs?: number;
  readonly identifier?: string;
  /** Pushes in progress (generated, not yet written out) across all proxies; Istio's push throttle
   * is 100. */
  readonly maxInFlight?: number;
}

export class XdsServeError extends CaravelError {
  constructor(message: string, cause?: unknown) {
    super('XDS_SERVE', message, { cause, userError: false });
  }
}

const EMPTY: PushRequest = {
  full: false,
  kinds: new Set(),
  hosts: new Set(),
  servicesChanged: false,
  endpointHosts: new Set(),
  workloads: new Set(),
};

export class DiscoveryServer {
  readonly metrics = new XdsMetrics();
  /** Encoded resources shared by proxies and kept across pushes. */
  readonly cache = new ResourceCache();
  readonly registry: ServiceRegistry;
  readonly config: ConfigInput;
  readonly mesh: MeshOptions;
  readonly #connections = new Set<Connection>();
  readonly #options: DiscoveryServerOptions;
  #push: PushContext;
  #pushCount = 0;
  #pending: PushRequest | undefined;
  #pendingSince = 0;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void)[] = [];
  #grpc: grpc.Server | undefined;
  #idleWaiters: (() => void)[] = [];
  #configEvents: ConfigEvent[] = [];
  readonly #context: ConnectionContext;

  constructor(options: DiscoveryServerOptions) {
    this.#options = options;
    this.registry = options.registry;
    this.config = options.config;
    this.mesh = options.mesh;
    this.#context = {
      metrics: this.metrics,
      identifier: options.identifier ?? 'caravel',
      throttle: new Throttle(options.maxInFlight ?? 100, 5000),
      cache: this.cache,
    };
    this.registry.setConfig(this.config.list());
    this.#push = this.#newPushContext();
    this.#unsubscribe.push(
      this.config.subscribe((event) => this.#onConfig(event)),
      this.registry.onChange((c) => this.#onRegistry(c)),
    );
    this.metrics.gauge(METRICS.xdsConnected, () => this.#connections.size);
    this.metrics.gauge(METRICS.services, () => this.registry.services().length);
    this.metrics.gauge(METRICS.virtualServices, () => this.#push.virtualServices.length);
  }

  get pushContext(): PushContext {
    return this.#push;
  }

  connections(): readonly Connection[] {
    return [...this.#connections];
  }

  /** Serves ADS on `address` ("127.0.0.1:0" picks a port); returns the bound port. */
  async listen(address: string): Promise<number> {
    const pkg = grpc.loadPackageDefinition(discoveryPackageDefinition()) as unknown as {
      envoy: {
        service: { discovery: { v3: { AggregatedDiscoveryService: { service: grpc.ServiceDefinition } } } };
      };
    };
    const service = pkg.envoy.service.discovery.v3.AggregatedDiscoveryService.service;
    const sotw = service.StreamAggregatedResources!;
    const delta = service.DeltaAggregatedResources!;
    // Responses are encoded and framed by wire.ts from shared, pre-encoded resources, and written to
    // every stream as they are (passthrough.ts).
    const server = new grpc.Server({
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      interceptors: [framedResponses(new Set([sotw.path, delta.path]))],
    });
    const definition: grpc.ServiceDefinition = {
      ...service,
      StreamAggregatedResources: { ...sotw, responseSerialize: messageOf },
      DeltaAggregatedResources: { ...delta, responseSerialize: messageOf },
    };
    server.addService(definition, {
      StreamAggregatedResources: (stream: AdsStream) =>
        this.#serveStream(stream, (proxy) => new SotwConnection(proxy, stream, this.#context)),
      DeltaAggregatedResources: (stream: DeltaAdsStream) =>
        this.#serveStream(stream, (proxy) => new DeltaConnection(proxy, stream, this.#context)),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(new XdsServeError(`cannot listen on ${address}: ${err.message}`, err)) : resolve(p),
      ),
    );
    this.#grpc = server;
    return port;
  }

  async close(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const c of this.#connections) c.close();
    const server = this.#grpc;
    this.#grpc = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves once no push is pending and every connection has written what it queued. */
  async settle(): Promise<void> {
    await Promise.resolve(); // config events not yet handled
    while (this.#timer) await new Promise<void>((r) => this.#idleWaiters.push(r));
    await Promise.all([...this.#connections].map((c) => c.idle()));
  }

  #newPushContext(): PushContext {
    this.#pushCount++;
    return new PushContext(
      this.config.list(),
      this.registry,
      this.mesh,
      `${new Date().toISOString()}/${this.#pushCount}`,
    );
  }

  /** Serves one stream of either protocol; the first request's node identifies the proxy. */
  #serveStream<R extends { node?: unknown }>(
    stream: grpc.ServerDuplexStream<R, Buffer>,
    connect: (proxy: Proxy) => Connection & { onRequest(req: R, current: () => PushContext): void },
  ): void {
    let conn: ReturnType<typeof connect> | undefined;
    const current = () => this.#push;
    stream.on('data', (req: R) => {
      try {
        if (!conn) {
          conn = connect(proxyFromNode(req.node as never, this.registry));
          this.#connections.add(conn);
        }
        conn.onRequest(req, current);
      } catch (e) {
        const err = e instanceof CaravelError ? e : new XdsServeError((e as Error).message, e);
        // Emitting a status object ends the call with that status and message.
        stream.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: err.message });
      }
    });
    const done = () => {
      if (conn) {
        conn.close();
        this.#connections.delete(conn);
      }
    };
    stream.on('end', () => {
      done();
      stream.end();
    });
    stream.on('error', done);
    stream.on('close', done);
    stream.on('cancelled', done);
  }

  #onConfig(event: ConfigEvent): void {
    const first = this.#configEvents.length === 0;
    this.#configEvents.push(event);
    // An apply of many objects arrives as many events in one go: handle them together.
    if (first) queueMicrotask(() => this.#configChanged());
  }

  #configChanged(): void {
    const events = this.#configEvents.splice(0);
    if (events.length === 0) return;
    const kinds = new Set(events.map((e) => e.resource.kind));
    const hosts = new Set(
      events.flatMap((e) => [
        ...hostsOf(e.resource, this.mesh.domain),
        ...(e.previous ? hostsOf(e.previous, this.mesh.domain) : []),
      ]),
    );
    // Registry changes (services, endpoints) are reported through #onRegistry.
    this.registry.setConfig(this.config.list());
    this.#enqueue({ ...EMPTY, full: true, kinds, hosts }, 'config');
  }

  #onRegistry(change: RegistryChange): void {
    this.#enqueue(
      {
        ...EMPTY,
        servicesChanged: change.servicesChanged,
        endpointHosts: change.endpointHosts,
        workloads: change.workloads,
        full: change.servicesChanged,
      },
      change.servicesChanged ? 'service' : 'endpoint',
    );
  }

  #enqueue(req: PushRequest, reason: string): void {
    this.metrics.triggered(reason);
    if (!this.#pending) this.#pendingSince = performance.now();
    this.#pending = mergeRequests(this.#pending, req);
    if (this.#timer) clearTimeout(this.#timer);
    const max = this.#options.maxDebounceMs ?? this.#options.debounceMs * 10;
    const waited = performance.now() - this.#pendingSince;
    const delay = Math.max(0, Math.min(this.#options.debounceMs, max - waited));
    this.#timer = setTimeout(() => this.#flush(), delay);
  }

  #flush(): void {
    this.#timer = undefined;
    const req = this.#pending;
    this.#pending = undefined;
    if (req) {
      this.metrics.debounced((performance.now() - this.#pendingSince) / 1000);
      this.#push = this.#newPushContext();
      this.cache.rotate(req.full);
      for (const c of this.#connections) c.push(req, () => this.#push, this.registry);
    }
    for (const w of this.#idleWaiters.splice(0)) w();
  }
}

/** Hosts a config resource speaks about, so proxies that cannot see them are left alone. */
function hostsOf(r: Resource, domain: string): string[] {
  const ns = r.metadata.namespace ?? 'default';
  const spec = (r as unknown as { spec?: { hosts?: string[]; host?: string } }).spec;
  switch (r.kind) {
    case 'VirtualService':
    case 'ServiceEntry':
      return (spec?.hosts ?? []).map((h) => resolveHost(h, ns, domain));
    case 'DestinationRule':
      return spec?.host ? [resolveHost(spec.host, ns, domain)] : [];
    case 'Service':
      return [`${r.metadata.name}.${ns}.svc.${domain}`];
    default:
      return [];
  }
}
