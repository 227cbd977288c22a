// The ADS client: one bidirectional gRPC stream to the control plane carrying every resource type.
// This is what both protocols share: the stream is re-opened with jittered exponential back-off
// whenever the control plane goes away (traffic keeps the last config meanwhile); responses are
// handled one at a time in arrival order; and each response is decoded and applied as a whole: any
// invalid resource NACKs it with its reason and the last good config stays. The protocols proper
// are sotw.ts (state of the world) and delta.ts (incremental).
import type { Obj } from './decode/read.ts';
import type { AdsMethod, AdsStream, AdsStub } from './stub.ts';
import { adsStub } from './stub.ts';

/** One resource type the proxy subscribes to. */
export interface TypeHandler<T = unknown> {
  readonly typeUrl: string;
  /** State of the world: Listener and Cluster responses carry the full set (absent ones are removed). */
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
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  readonly onConnectedChange?: (connected: boolean) => void;
  readonly onUpdate?: (typeUrl: string, accepted: boolean) => void;
}

/** What the client holds of one resource type. */
export interface TypeState {
  /** The accepted resources by name: the set the handler was last given. */
  resources: Map<string, unknown>;
  version: string;
  received: boolean;
  lastUpdated: Date | undefined;
}

/** The next set of a type, built from a response; throwing NACKs the response. */
export interface NextSet {
  readonly resources: Map<string, unknown>;
  readonly version: string;
}

/** google.rpc.Code of a NACK's error_detail. */
export const INVALID_ARGUMENT = 3;

export function shortType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/** A new type's state: nothing held yet. */
export function emptyState(): TypeState {
  return { resources: new Map(), version: '', received: false, lastUpdated: undefined };
}

export abstract class AdsClient<
  S extends TypeState = TypeState,
  Response extends { typeUrl: string } = { typeUrl: string },
> {
  protected readonly options: AdsClientOptions;
  protected readonly states = new Map<string, S>();
  readonly #stub: AdsStub<Response>;
  #stream: AdsStream<Response> | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #queue: Promise<void> = Promise.resolve();
  #sentNode = false;
  connected = false;

  constructor(method: AdsMethod, options: AdsClientOptions) {
    this.options = options;
    this.#stub = adsStub<Response>(method, options);
    for (const h of options.handlers) this.states.set(h.typeUrl, this.newState());
  }

  /** Re-sends a type's subscription when the names it wants changed (EDS after CDS, RDS after LDS). */
  abstract refresh(typeUrl: string): void;

  protected abstract newState(): S;

  /** Sends a new stream's first requests. */
  protected abstract opened(): void;

  /** Handles one response of a subscribed type (in turn with the others); answers it with an ACK or
   * a NACK. */
  protected abstract onResponse(handler: TypeHandler, state: S, response: Response): Promise<void>;

  start(): void {
    this.#open();
  }

  /** Whether a response of this type has been accepted since start. */
  received(typeUrl: string): boolean {
    return this.states.get(typeUrl)?.received ?? false;
  }

  version(typeUrl: string): string {
    return this.states.get(typeUrl)?.version ?? '';
  }

  lastUpdated(typeUrl: string): Date | undefined {
    return this.states.get(typeUrl)?.lastUpdated;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stream?.cancel();
    this.#stream = undefined;
    this.#stub.close();
  }

  protected get streaming(): boolean {
    return this.#stream !== undefined;
  }

  /** The handler and state of a type this client subscribes to. */
  protected typeOf(typeUrl: string): [TypeHandler, S] | undefined {
    const handler = this.options.handlers.find((h) => h.typeUrl === typeUrl);
    const state = this.states.get(typeUrl);
    return handler && state ? [handler, state] : undefined;
  }

  /** Writes a request on the current stream; the first of each stream carries the node. */
  protected send(request: Record<string, unknown>): void {
    if (!this.#stream) return;
    if (!this.#sentNode) {
      request.node = this.options.node;
      this.#sentNode = true;
    }
    this.#stream.write(request);
  }

  protected enqueue(task: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(task).catch((e: unknown) => {
      this.options.log('error', `xDS update failed: ${(e as Error).stack ?? String(e)}`);
    });
  }

  /**
   * Builds and applies a type's next set as one: nothing of it is applied when any resource is
   * invalid or the handler refuses it. Returns the reason for the NACK, or undefined when accepted;
   * once accepted, the types depending on this one re-subscribe (before the caller's ACK).
   */
  protected async commit(
    handler: TypeHandler,
    state: S,
    label: string,
    build: () => NextSet,
  ): Promise<string | undefined> {
    let version = label;
    try {
      const next = build();
      version = next.version;
      await handler.apply(next.resources, version);
      state.resources = next.resources;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.options.log('warn', `rejecting ${shortType(handler.typeUrl)} version ${version}: ${message}`);
      this.options.onUpdate?.(handler.typeUrl, false);
      return message;
    }
    state.version = version;
    state.received = true;
    state.lastUpdated = new Date();
    this.options.onUpdate?.(handler.typeUrl, true);
    for (const h of this.options.handlers) if (h !== handler) this.refresh(h.typeUrl);
    return undefined;
  }

  /** Decodes one resource of a response of `typeUrl`, checking its type (and its name if given). */
  protected decode(handler: TypeHandler, typeUrl: string, resource: Obj, name?: string): [string, unknown] {
    const type = resource['@type'];
    if (type !== typeUrl)
      throw new Error(
        `resource of type ${typeof type === 'string' ? type : 'unknown'} in a ${shortType(typeUrl)} response`,
      );
    const own = (resource.name as string | undefined) ?? (resource.clusterName as string | undefined) ?? '';
    if (name !== undefined && own !== name)
      throw new Error(`${shortType(typeUrl)} "${name}" holds a resource named "${own}"`);
    return [own, handler.decode(resource, own)];
  }

  /**
   * Forgets the resources a named type no longer wants (RDS and EDS follow listeners and clusters).
   * Runs in turn with the responses, so it trims the set they left.
   */
  protected prune(
    handler: TypeHandler,
    state: S,
    pruned?: (kept: ReadonlyMap<string, unknown>) => void,
  ): void {
    this.enqueue(async () => {
      const names = handler.names();
      if (names === undefined) return;
      const wanted = new Set(names);
      const kept = new Map([...state.resources].filter(([name]) => wanted.has(name)));
      if (kept.size === state.resources.size) return;
      await handler.apply(kept, state.version);
      state.resources = kept;
      pruned?.(kept);
    });
  }

  #dispatch(response: Response): Promise<void> | void {
    const found = this.typeOf(response.typeUrl);
    if (!found) {
      this.options.log('warn', `ignoring xDS response of unsubscribed type ${response.typeUrl}`);
      return;
    }
    return this.onResponse(found[0], found[1], response);
  }

  #open(): void {
    if (this.#closed) return;
    const stream = this.#stub.open();
    this.#stream = stream;
    this.#sentNode = false;
    stream.on('data', (response: Response) => {
      if (this.#stream !== stream) return;
      if (!this.connected) {
        this.connected = true;
        this.options.onConnectedChange?.(true);
        this.options.log('info', `connected to the control plane at ${this.options.address}`);
      }
      this.#attempt = 0;
      this.enqueue(() => this.#dispatch(response));
    });
    const lost = (why: string) => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      if (this.connected) {
        this.connected = false;
        this.options.onConnectedChange?.(false);
      }
      if (this.#closed) return;
      const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** this.#attempt);
      this.#attempt = Math.min(this.#attempt + 1, 30);
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      this.options.log('warn', `control plane stream closed (${why}); reconnecting in ${delay}ms`);
      this.#timer = setTimeout(() => this.#open(), delay);
    };
    stream.on('error', (e: Error) => lost(e.message));
    stream.on('end', () => lost('ended by the server'));
    stream.on('close', () => lost('closed'));
    this.opened();
  }
}
