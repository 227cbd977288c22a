// The ADS client: one bidirectional gRPC stream to the control plane carrying every resource type
// (state of the world). Each response is decoded as a whole; any invalid resource NACKs the response
// with its reason and the last good config stays. The stream is re-opened with jittered exponential
// back-off whenever the control plane goes away; traffic keeps using the last config meanwhile.
import * as grpc from '@grpc/grpc-js';
import { messageCodec } from '../../envoy/index.ts';
import { isCaravelError } from '../../errors/index.ts';
import type { Obj } from './decode/read.ts';

/**
 * A response as the gRPC stubs deliver it: with the shared proto options, each Any resource arrives
 * already decoded as `{'@type': url, ...fields}`.
 */
export interface DiscoveryResponse {
  versionInfo: string;
  resources?: Obj[];
  typeUrl: string;
  nonce: string;
}

/** One resource type the proxy subscribes to. */
export interface TypeHandler<T = unknown> {
  readonly typeUrl: string;
  /** Listener and Cluster responses carry the full set; absent resources are removed. */
  readonly fullState: boolean;
  decode(resource: Obj, name: string): T;
  /** Applies an accepted set (all current resources of the type); throwing NACKs it. */
  apply(resources: ReadonlyMap<string, T>, version: string): void | Promise<void>;
  /** Names to subscribe to; undefined subscribes to all (wildcard). */
  names(): readonly string[] | undefined;
}

export interface AdsClientOptions {
  readonly address: string;
  readonly node: Obj;
  readonly handlers: readonly TypeHandler[];
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  readonly onConnectedChange?: (connected: boolean) => void;
  readonly onUpdate?: (typeUrl: string, accepted: boolean) => void;
}

interface TypeState {
  version: string;
  nonce: string;
  names: string;
  resources: Map<string, unknown>;
  received: boolean;
  /** Raw accepted resources with their Any bytes, for the config dump. */
  lastUpdated: Date | undefined;
}

const RESOURCE_WRAPPER = 'type.googleapis.com/envoy.service.discovery.v3.Resource';
const INVALID_ARGUMENT = 3;

type AdsStream = grpc.ClientDuplexStream<Record<string, unknown>, DiscoveryResponse>;
type AdsStub = grpc.Client & { StreamAggregatedResources(): AdsStream };

let adsClientConstructor: grpc.ServiceClientConstructor | undefined;

/** The ADS stub, with codecs straight on the shared proto Root (no gRPC package definition). */
function adsStub(): grpc.ServiceClientConstructor {
  if (adsClientConstructor) return adsClientConstructor;
  const request = messageCodec('envoy.service.discovery.v3.DiscoveryRequest');
  const response = messageCodec<DiscoveryResponse>('envoy.service.discovery.v3.DiscoveryResponse');
  adsClientConstructor = grpc.makeGenericClientConstructor(
    {
      StreamAggregatedResources: {
        path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
        requestStream: true,
        responseStream: true,
        requestSerialize: request.encode,
        requestDeserialize: request.decode,
        responseSerialize: response.encode,
        responseDeserialize: response.decode,
      },
    },
    'AggregatedDiscoveryService',
  );
  return adsClientConstructor;
}

export class AdsClient {
  readonly #options: AdsClientOptions;
  readonly #client: AdsStub;
  readonly #state = new Map<string, TypeState>();
  #stream: AdsStream | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #queue: Promise<void> = Promise.resolve();
  #sentNode = false;
  connected = false;

  constructor(options: AdsClientOptions) {
    this.#options = options;
    const Stub = adsStub();
    this.#client = new Stub(options.address, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.initial_reconnect_backoff_ms': options.backoffBaseMs,
      'grpc.max_reconnect_backoff_ms': options.backoffMaxMs,
    }) as unknown as AdsStub;
    for (const h of options.handlers)
      this.#state.set(h.typeUrl, {
        version: '',
        nonce: '',
        names: '',
        resources: new Map(),
        received: false,
        lastUpdated: undefined,
      });
  }

  start(): void {
    this.#open();
  }

  /** Whether a response of this type has been accepted since start. */
  received(typeUrl: string): boolean {
    return this.#state.get(typeUrl)?.received ?? false;
  }

  version(typeUrl: string): string {
    return this.#state.get(typeUrl)?.version ?? '';
  }

  lastUpdated(typeUrl: string): Date | undefined {
    return this.#state.get(typeUrl)?.lastUpdated;
  }

  /** Re-sends a type's request when the names it wants changed (EDS after CDS, RDS after LDS). */
  refresh(typeUrl: string): void {
    const handler = this.#options.handlers.find((h) => h.typeUrl === typeUrl);
    const state = this.#state.get(typeUrl);
    if (!handler || !state || !this.#stream) return;
    const names = handler.names();
    const key = names === undefined ? '*' : [...names].sort().join('\n');
    if (key === state.names) return;
    // Resources no longer wanted are forgotten (RDS and EDS are not full-state).
    if (names !== undefined) {
      const wanted = new Set(names);
      let dropped = false;
      for (const name of state.resources.keys())
        if (!wanted.has(name)) {
          state.resources.delete(name);
          dropped = true;
        }
      if (dropped) this.#enqueue(async () => handler.apply(state.resources, state.version));
    }
    this.#send(handler, state, undefined);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stream?.cancel();
    this.#stream = undefined;
    this.#client.close();
  }

  #open(): void {
    if (this.#closed) return;
    const stream = this.#client.StreamAggregatedResources();
    this.#stream = stream;
    this.#sentNode = false;
    for (const s of this.#state.values()) {
      s.names = '';
      s.nonce = '';
    }
    stream.on('data', (resp: DiscoveryResponse) => {
      if (this.#stream !== stream) return;
      if (!this.connected) {
        this.connected = true;
        this.#options.onConnectedChange?.(true);
        this.#options.log('info', `connected to the control plane at ${this.#options.address}`);
      }
      this.#attempt = 0;
      this.#enqueue(() => this.#onResponse(resp));
    });
    const lost = (why: string) => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      if (this.connected) {
        this.connected = false;
        this.#options.onConnectedChange?.(false);
      }
      if (this.#closed) return;
      const ceiling = Math.min(this.#options.backoffMaxMs, this.#options.backoffBaseMs * 2 ** this.#attempt);
      this.#attempt = Math.min(this.#attempt + 1, 30);
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      this.#options.log('warn', `control plane stream closed (${why}); reconnecting in ${delay}ms`);
      this.#timer = setTimeout(() => this.#open(), delay);
    };
    stream.on('error', (e: Error) => lost(e.message));
    stream.on('end', () => lost('ended by the server'));
    stream.on('close', () => lost('closed'));
    // Envoy's order: clusters and listeners first; endpoints and routes follow as names are known.
    for (const h of this.#options.handlers) {
      const names = h.names();
      if (names === undefined || names.length > 0) this.#send(h, this.#state.get(h.typeUrl)!, undefined);
    }
  }

  #enqueue(task: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(task).catch((e: unknown) => {
      this.#options.log('error', `xDS update failed: ${(e as Error).stack ?? String(e)}`);
    });
  }

  #send(handler: TypeHandler, state: TypeState, error: string | undefined): void {
    const names = handler.names();
    state.names = names === undefined ? '*' : [...names].sort().join('\n');
    const req: Record<string, unknown> = {
      versionInfo: state.version,
      resourceNames: names ?? [],
      typeUrl: handler.typeUrl,
      responseNonce: state.nonce,
    };
    if (!this.#sentNode) {
      req.node = this.#options.node;
      this.#sentNode = true;
    }
    if (error !== undefined) req.errorDetail = { code: INVALID_ARGUMENT, message: error };
    this.#stream?.write(req);
  }

  async #onResponse(resp: DiscoveryResponse): Promise<void> {
    const handler = this.#options.handlers.find((h) => h.typeUrl === resp.typeUrl);
    const state = this.#state.get(resp.typeUrl);
    if (!handler || !state) {
      this.#options.log('warn', `ignoring xDS response of unsubscribed type ${resp.typeUrl}`);
      return;
    }
    state.nonce = resp.nonce;
    let decoded: Map<string, unknown>;
    try {
      decoded = this.#decodeAll(handler, resp);
      const next = handler.fullState ? decoded : new Map([...state.resources, ...decoded]);
      const wanted = handler.names();
      if (!handler.fullState && wanted)
        for (const name of next.keys()) if (!wanted.includes(name)) next.delete(name);
      await handler.apply(next, resp.versionInfo);
      state.resources = next;
    } catch (e) {
      const message = isCaravelError(e) ? e.message : `${(e as Error).message}`;
      this.#options.log(
        'warn',
        `rejecting ${shortType(resp.typeUrl)} version ${resp.versionInfo}: ${message}`,
      );
      this.#options.onUpdate?.(resp.typeUrl, false);
      this.#send(handler, state, message);
      return;
    }
    state.version = resp.versionInfo;
    state.received = true;
    state.lastUpdated = new Date();
    this.#options.onUpdate?.(resp.typeUrl, true);
    // Dependent subscriptions (EDS names from clusters, RDS names from listeners) go out before the ACK.
    for (const h of this.#options.handlers) if (h !== handler) this.refresh(h.typeUrl);
    this.#send(handler, state, undefined);
  }

  #decodeAll(handler: TypeHandler, resp: DiscoveryResponse): Map<string, unknown> {
    const out = new Map<string, unknown>();
    // proto3 leaves an empty repeated field out: a response with no resources has none at all.
    for (const any of resp.resources ?? []) {
      let resource = any;
      if (resource['@type'] === RESOURCE_WRAPPER) resource = (resource.resource as Obj | undefined) ?? {};
      const type = resource['@type'];
      if (type !== resp.typeUrl)
        throw new Error(
          `resource of type ${typeof type === 'string' ? type : 'unknown'} in a ${shortType(resp.typeUrl)} response`,
        );
      const name =
        (resource.name as string | undefined) ?? (resource.clusterName as string | undefined) ?? '';
      if (out.has(name)) throw new Error(`duplicate ${shortType(resp.typeUrl)} "${name}" in one response`);
      out.set(name, handler.decode(resource, name));
    }
    return out;
  }
}

export function shortType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}
