// One ADS stream: the proxy behind it, what it subscribed to per type, what was sent and acked,
// and its own push queue, so that a slow proxy only delays itself. A push holds one of the
// server's push permits (Istio's push throttle) while it builds and writes its responses.
// `Connection` holds what the state-of-the-world and the incremental (delta.ts) protocols share;
// `SotwConnection` is the former.
import { randomBytes } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { ENDPOINT_TYPE, PUSH_ORDER } from '../envoy/index.ts';
import type { RegistryView } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import type { PushRequest, Watched } from './generators.ts';
import { GENERATORS, mergeRequests, WILDCARD_TYPES } from './generators.ts';
import type { XdsMetrics } from './metrics.ts';
import type { Proxy } from './proxy.ts';
import type { Throttle } from './throttle.ts';
import type { ResourceCache } from './cache.ts';
import type { ResponseHeader } from './wire.ts';
import { encodeResponse, FRAME_PREFIX } from './wire.ts';
import type { PushContext } from './push-context.ts';

export interface DiscoveryRequestMessage {
  readonly versionInfo?: string;
  readonly node?: unknown;
  readonly resourceNames?: readonly string[];
  readonly typeUrl?: string;
  readonly responseNonce?: string;
  readonly errorDetail?: { code?: number; message?: string } | null;
}

/** Responses are written encoded and framed (see wire.ts). */
export type AdsStream = ServerDuplexStream<DiscoveryRequestMessage, Buffer>;

/** What a connection needs of its stream: writing encoded responses. */
export type ResponseStream = ServerDuplexStream<unknown, Buffer>;

export interface Nack {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly at: Date;
}

/** Per type URL: the subscription and the send/ack state. */
export interface TypeState extends Watched {
  /** The names as the proxy last sent them (before sorting), to spot unchanged ACKs cheaply. */
  requested: readonly string[];
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: Date;
  ackedVersion?: string;
  ackedNonce?: string;
  /** When the latest ACK came (ms on the performance clock). */
  ackedAt?: number;
  nack?: Nack;
  /** The resources the proxy was last sent (state of the world), for config_dump. */
  lastSent: Json[];
  /** The encoded resources of the last response, to skip pushing what the proxy already has. */
  lastBodies?: readonly Buffer[];
}

export type SyncStatus = 'SYNCED' | 'STALE' | 'NOT SENT';

export function syncStatus(s: TypeState | undefined): SyncStatus {
  if (!s?.sentNonce) return 'NOT SENT';
  return s.ackedNonce === s.sentNonce ? 'SYNCED' : 'STALE';
}

let connectionCounter = 0;

/** Nonces only need to differ between the responses of a stream: a counter behind a per-process
 * prefix (so a restarted control plane does not repeat them) costs less than random bytes each. */
const NONCE_PREFIX = randomBytes(4).toString('hex');
let nonceCounter = 0;

export function nextNonce(): string {
  return `${NONCE_PREFIX}-${(++nonceCounter).toString(36)}`;
}

/** What a connection shares with the server. */
export interface ConnectionContext {
  readonly metrics: XdsMetrics;
  readonly identifier: string;
  readonly throttle: Throttle;
  readonly cache: ResourceCache;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameBodies(a: readonly Buffer[] | undefined, b: readonly Buffer[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i] || x.equals(b[i]!));
}

/** Name lists as proxies send them → sorted and keyed; proxies alike send the same lists, so each
 * is sorted once (a few recent ones are kept). */
const SORTED = new Map<string, { names: readonly string[]; key: string }>();
const MAX_SORTED = 64;

function sortedNames(requested: readonly string[]): { names: readonly string[]; key: string } {
  const asSent = requested.join('\n');
  let sorted = SORTED.get(asSent);
  if (!sorted) {
    const names = requested.filter((n) => n !== '*').sort();
    sorted = { names, key: names.join(',') };
    if (SORTED.size >= MAX_SORTED) SORTED.clear();
    SORTED.set(asSent, sorted);
  }
  return sorted;
}

type Header = Omit<ResponseHeader, 'nonce'>;

function encodeOwn(header: Header, bodies: readonly Buffer[]): { nonce: string; bytes: Buffer } {
  const nonce = nextNonce();
  return { nonce, bytes: encodeResponse({ ...header, nonce }, bodies) };
}

/** Responses of one shared body (a route configuration, the endpoint list of proxies alike) by
 * body: encoded once per push for every proxy that gets them. */
const SHARED = new WeakMap<Buffer, { version: string; nonce: string; bytes: Buffer }>();

function sharedResponse(
  header: Header,
  body: Buffer,
  lastNonce: string | undefined,
): { nonce: string; bytes: Buffer } {
  const known = SHARED.get(body);
  // A nonce only has to differ between the responses of one stream.
  if (known && known.version === header.versionInfo && known.nonce !== lastNonce) return known;
  const own = encodeOwn(header, [body]);
  SHARED.set(body, { version: header.versionInfo, ...own });
  return own;
}

/** `older` with the resources of `newer` replacing those of the same name. */
function mergeByName(older: Json[], newer: Json[]): Json[] {
  const name = (r: Json) => String(r.name ?? r.clusterName);
  const fresh = new Map(newer.map((r) => [name(r), r]));
  return [
    ...older.map((r) => fresh.get(name(r)) ?? r),
    ...newer.filter((r) => !older.some((o) => name(o) === name(r))),
  ];
}

export abstract class Connection {
  readonly conId: string;
  readonly proxy: Proxy;
  readonly connectedAt = new Date();
  readonly types = new Map<string, TypeState>();
  abstract readonly protocol: 'SOTW' | 'DELTA';
  protected readonly ctx: ConnectionContext;
  readonly #stream: ResponseStream;
  #queued: PushRequest | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** Responses handed to the stream and not yet written out, and who waits for none to be left. */
  #writing = 0;
  #written: (() => void)[] = [];

  constructor(proxy: Proxy, stream: ResponseStream, ctx: ConnectionContext) {
    this.proxy = proxy;
    this.ctx = ctx;
    this.#stream = stream;
    this.conId = `${proxy.id || proxy.podName}-${++connectionCounter}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    // A closed stream does not report its last writes.
    this.#writing = 0;
    for (const w of this.#written.splice(0)) w();
  }

  /** Resolves when every send queued so far has been written. */
  idle(): Promise<void> {
    return this.#chain;
  }

  /** Queues a push; requests arriving while one runs are merged into the next. */
  push(req: PushRequest, currentPush: () => PushContext, registry: RegistryView): void {
    const first = this.#queued === undefined;
    this.#queued = mergeRequests(this.#queued, req);
    if (!first) return;
    this.#chain = this.#chain.then(async () => {
      const queued = this.#queued;
      this.#queued = undefined;
      if (!queued || this.#closed) return;
      this.proxy.workload = this.proxy.ip ? registry.workloadByAddress(this.proxy.ip) : undefined;
      const push = currentPush();
      const types = PUSH_ORDER.filter((typeUrl) => {
        const state = this.types.get(typeUrl);
        return state && GENERATORS.get(typeUrl)?.needsPush(this.proxy, push, queued, state);
      });
      if (types.length === 0) return;
      await this.#throttled(() => {
        for (const typeUrl of types) this.send(typeUrl, push, queued);
      });
    });
  }

  /** The resources of `typeUrl` the proxy was last sent, for config_dump. */
  resources(typeUrl: string): readonly Json[] {
    return this.types.get(typeUrl)?.lastSent ?? [];
  }

  /** Builds and writes the response of `typeUrl` for a push (`req`) or for the proxy's request. */
  protected abstract send(typeUrl: string, push: PushContext, req?: PushRequest): void;

  /** Runs `task` after every send queued so far. */
  protected enqueue(task: () => void): void {
    this.#chain = this.#chain.then(() => this.#throttled(task));
  }

  /** Runs `task` holding a push permit, given back once what it wrote is out (as Istio's push
   * throttle bounds the pushes being generated and sent, not the answers awaited). */
  async #throttled(task: () => void): Promise<void> {
    const release = await this.ctx.throttle.acquire();
    try {
      if (this.#closed) return;
      await this.ctx.throttle.exclusive(task);
      if (this.#writing > 0) await new Promise<void>((r) => this.#written.push(r));
    } finally {
      release();
    }
  }

  /** Records an answer to the latest response of `typeUrl`: an ACK, or a NACK when `error` is set. */
  protected answered(
    typeUrl: string,
    state: TypeState,
    nonce: string,
    version: string,
    error?: string,
  ): void {
    if (error !== undefined) {
      state.nack = { version: state.sentVersion ?? '', nonce, message: error, at: new Date() };
      this.ctx.metrics.rejected(GENERATORS.get(typeUrl)!.short);
      return;
    }
    state.ackedVersion = version;
    state.ackedNonce = nonce;
    state.ackedAt = performance.now();
    state.nack = undefined;
    if (state.sentAt) this.ctx.metrics.converged((Date.now() - state.sentAt.getTime()) / 1000);
  }

  /** Writes an encoded response. A push does not wait for the stream to drain (it writes one
   * response per type at most): the connection's next push waits until this one's are out. */
  protected write(response: Buffer): void {
    this.#writing++;
    this.#stream.write(response, () => this.#wrote());
  }

  #wrote(): void {
    if (this.#writing === 0 || --this.#writing > 0) return;
    for (const w of this.#written.splice(0)) w();
  }
}

/** The error a request reports, if it is a NACK. */
export function nackMessage(e: { code?: number; message?: string } | null | undefined): string | undefined {
  if (!e || !(e.message || e.code)) return undefined;
  return e.message || `code ${e.code}`;
}

/** A state-of-the-world stream: every response carries all resources of its type the proxy sees. */
export class SotwConnection extends Connection {
  readonly protocol = 'SOTW';

  /** Handles one DiscoveryRequest: a first subscription, an ACK (maybe with new names), or a NACK. */
  onRequest(req: DiscoveryRequestMessage, currentPush: () => PushContext): void {
    const typeUrl = req.typeUrl ?? '';
    if (!GENERATORS.has(typeUrl)) return;
    const names = req.resourceNames ?? [];
    const state = this.types.get(typeUrl);
    const nonce = req.responseNonce ?? '';
    if (!state || nonce === '') {
      // First request for the type on this stream (also after a reconnect): answer in full.
      this.types.set(typeUrl, { ...this.#watch(typeUrl, names), lastSent: state?.lastSent ?? [] });
      this.enqueue(() => this.send(typeUrl, currentPush()));
      return;
    }
    if (nonce !== state.sentNonce) return; // an answer to a response superseded since: ignore
    const error = nackMessage(req.errorDetail);
    this.answered(typeUrl, state, nonce, req.versionInfo ?? '', error);
    if (error !== undefined) return;
    // ACKs repeat the subscription; most carry the same names in the same order.
    if (sameNames(state.requested, names)) return;
    const watch = this.#watch(typeUrl, names);
    const changed = watch.wildcard !== state.wildcard || watch.key !== state.key;
    Object.assign(state, watch);
    if (changed) this.enqueue(() => this.send(typeUrl, currentPush()));
  }

  #watch(typeUrl: string, requested: readonly string[]): Watched & { requested: readonly string[] } {
    const wildcard = WILDCARD_TYPES.has(typeUrl) && (requested.length === 0 || requested.includes('*'));
    return { ...sortedNames(requested), wildcard, requested };
  }

  protected send(typeUrl: string, push: PushContext, req?: PushRequest): void {
    const state = this.types.get(typeUrl);
    const gen = GENERATORS.get(typeUrl);
    if (!state || !gen || this.closed) return;
    const started = performance.now();
    let parts: Json[][];
    let bodies: Buffer[];
    try {
      parts = gen.generateParts?.(this.proxy, push, state, req) ?? [
        gen.generate(this.proxy, push, state, req),
      ];
      bodies = parts.map((p) => this.ctx.cache.entries(typeUrl, p));
    } catch (e) {
      // A resource that does not encode is a translation bug: keep the proxy on its last config.
      this.ctx.metrics.generateError(gen.short, (e as Error).message);
      return;
    }
    if (req && req.full && sameBodies(state.lastBodies, bodies)) {
      // A push that would repeat the proxy's current config byte for byte is left out.
      return;
    }
    state.lastBodies = bodies;
    const header = { versionInfo: push.version, typeUrl, controlPlane: this.ctx.identifier };
    const { nonce, bytes: response } =
      bodies.length === 1 ? sharedResponse(header, bodies[0]!, state.sentNonce) : encodeOwn(header, bodies);
    state.sentVersion = push.version;
    state.sentNonce = nonce;
    state.sentAt = new Date();
    const resources = parts.length === 1 ? parts[0]! : parts.flat();
    state.lastSent =
      req && !req.full && typeUrl === ENDPOINT_TYPE ? mergeByName(state.lastSent, resources) : resources;
    this.ctx.metrics.pushed(gen.short, (performance.now() - started) / 1000, response.length - FRAME_PREFIX);
    this.write(response);
  }
}
