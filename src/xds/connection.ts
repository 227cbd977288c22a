// One ADS stream: the proxy behind it, what it subscribed to per type, what was sent and acked,
// and its own push queue, so that a slow proxy only delays itself.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
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
import { encodeResponse } from './wire.ts';
import type { PushContext } from './push-context.ts';

export interface DiscoveryRequestMessage {
  readonly versionInfo?: string;
  readonly node?: unknown;
  readonly resourceNames?: readonly string[];
  readonly typeUrl?: string;
  readonly responseNonce?: string;
  readonly errorDetail?: { code?: number; message?: string } | null;
}

/** Responses are written already encoded (see wire.ts). */
export type AdsStream = ServerDuplexStream<DiscoveryRequestMessage, Buffer>;

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
  nack?: Nack;
  /** The resources of the last response, for config_dump. */
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

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameBodies(a: readonly Buffer[] | undefined, b: readonly Buffer[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i] || x.equals(b[i]!));
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

export class Connection {
  readonly conId: string;
  readonly proxy: Proxy;
  readonly connectedAt = new Date();
  readonly types = new Map<string, TypeState>();
  readonly #stream: AdsStream;
  readonly #metrics: XdsMetrics;
  readonly #identifier: string;
  #queued: PushRequest | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  readonly #throttle: Throttle;
  readonly #cache: ResourceCache;
  /** The connection's permit while any of its responses awaits an ACK (one per connection, so a
   * proxy that ACKs CDS only after EDS, as Envoy does when warming, never waits on itself). */
  #permit: (() => void) | undefined;
  readonly #awaiting = new Set<string>();

  constructor(
    proxy: Proxy,
    stream: AdsStream,
    metrics: XdsMetrics,
    identifier: string,
    throttle: Throttle,
    cache: ResourceCache,
  ) {
    this.proxy = proxy;
    this.#cache = cache;
    this.#throttle = throttle;
    this.#stream = stream;
    this.#metrics = metrics;
    this.#identifier = identifier;
    this.conId = `${proxy.id || proxy.podName}-${++connectionCounter}`;
  }

  close(): void {
    this.#closed = true;
    this.#settled(undefined);
  }

  /** Resolves when every send queued so far has been written. */
  idle(): Promise<void> {
    return this.#chain;
  }

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
      this.#enqueueSend(typeUrl, currentPush);
      return;
    }
    if (nonce !== state.sentNonce) return; // an answer to a response superseded since: ignore
    this.#settled(typeUrl);
    if (req.errorDetail && (req.errorDetail.message || req.errorDetail.code)) {
      state.nack = {
        version: state.sentVersion ?? '',
        nonce,
        message: req.errorDetail.message ?? `code ${req.errorDetail.code}`,
        at: new Date(),
      };
      this.#metrics.rejected(GENERATORS.get(typeUrl)!.short);
      return;
    }
    state.ackedVersion = req.versionInfo ?? '';
    state.ackedNonce = nonce;
    state.nack = undefined;
    if (state.sentAt) this.#metrics.converged((Date.now() - state.sentAt.getTime()) / 1000);
    // ACKs repeat the subscription; most carry the same names in the same order.
    if (sameNames(state.requested, names)) return;
    const watch = this.#watch(typeUrl, names);
    const changed = watch.wildcard !== state.wildcard || watch.key !== state.key;
    Object.assign(state, watch);
    if (changed) this.#enqueueSend(typeUrl, currentPush);
  }

  #watch(typeUrl: string, requested: readonly string[]): Watched & { requested: readonly string[] } {
    const wildcard = WILDCARD_TYPES.has(typeUrl) && (requested.length === 0 || requested.includes('*'));
    const names = requested.filter((n) => n !== '*').sort();
    return { names, wildcard, key: names.join(','), requested };
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
      for (const typeUrl of PUSH_ORDER) {
        const state = this.types.get(typeUrl);
        const gen = GENERATORS.get(typeUrl);
        if (!state || !gen || !gen.needsPush(this.proxy, push, queued, state)) continue;
        await this.#send(typeUrl, push, queued);
      }
    });
  }

  /** The response of `typeUrl` was answered (all of them when undefined); with nothing left
   * awaiting an answer, the permit goes back. */
  #settled(typeUrl: string | undefined): void {
    if (typeUrl === undefined) this.#awaiting.clear();
    else this.#awaiting.delete(typeUrl);
    if (this.#awaiting.size === 0 && this.#permit) {
      this.#permit();
      this.#permit = undefined;
    }
  }

  #enqueueSend(typeUrl: string, currentPush: () => PushContext): void {
    this.#chain = this.#chain.then(() => this.#send(typeUrl, currentPush()));
  }

  async #send(typeUrl: string, push: PushContext, req?: PushRequest): Promise<void> {
    const state = this.types.get(typeUrl);
    const gen = GENERATORS.get(typeUrl);
    if (!state || !gen || this.#closed) return;
    this.#permit ??= await this.#throttle.acquire();
    if (this.#closed) return this.#settled(undefined);
    this.#awaiting.add(typeUrl);
    const started = performance.now();
    let parts: Json[][];
    let bodies: Buffer[];
    try {
      parts = gen.generateParts?.(this.proxy, push, state, req) ?? [
        gen.generate(this.proxy, push, state, req),
      ];
      bodies = parts.map((p) => this.#cache.entries(typeUrl, p));
    } catch (e) {
      // A resource that does not encode is a translation bug: keep the proxy on its last config.
      this.#metrics.generateError(gen.short, (e as Error).message);
      this.#settled(typeUrl);
      return;
    }
    if (req && req.full && sameBodies(state.lastBodies, bodies)) {
      // A push that would repeat the proxy's current config byte for byte is left out.
      this.#settled(typeUrl);
      return;
    }
    state.lastBodies = bodies;
    const nonce = `${NONCE_PREFIX}-${(++nonceCounter).toString(36)}`;
    const response = encodeResponse(
      { versionInfo: push.version, typeUrl, nonce, controlPlane: this.#identifier },
      bodies,
    );
    state.sentVersion = push.version;
    state.sentNonce = nonce;
    state.sentAt = new Date();
    const resources = parts.length === 1 ? parts[0]! : parts.flat();
    state.lastSent =
      req && !req.full && typeUrl === ENDPOINT_TYPE ? mergeByName(state.lastSent, resources) : resources;
    this.#metrics.pushed(gen.short, (performance.now() - started) / 1000, response.length);
    if (!this.#stream.write(response) && !this.#closed) await once(this.#stream, 'drain');
  }
}
