// Incremental (delta) xDS on one ADS stream, with Envoy's semantics: the proxy subscribes and
// unsubscribes by name (CDS and LDS also by wildcard), each resource carries its own version (its
// content digest), and a response carries only the resources that changed since what the proxy
// holds, plus the names of those removed. A reconnecting proxy names what it holds
// (initial_resource_versions), so unchanged resources are not sent again.
//
// What a proxy holds is an immutable `Holding` shared by every proxy that holds the same, and the
// step from a holding to a generated list (what changed, what went away, the encoded response) is
// computed once per pair: proxies alike, which get the same shared lists, cost one diff per push.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { ENDPOINT_TYPE } from '../envoy/index.ts';
import type { DeltaEntry, ResourceCache } from './cache.ts';
import type { TypeState } from './connection.ts';
import { Connection, nackMessage, nextNonce } from './connection.ts';
import type { Json } from './envoy-util.ts';
import type { PushRequest } from './generators.ts';
import { GENERATORS, WILDCARD_TYPES } from './generators.ts';
import type { PushContext } from './push-context.ts';
import { encodeDeltaResponse, FRAME_PREFIX } from './wire.ts';

export interface DeltaDiscoveryRequestMessage {
  readonly node?: unknown;
  readonly typeUrl?: string;
  readonly resourceNamesSubscribe?: readonly string[];
  readonly resourceNamesUnsubscribe?: readonly string[];
  readonly initialResourceVersions?: Readonly<Record<string, string>>;
  readonly responseNonce?: string;
  readonly errorDetail?: { code?: number; message?: string } | null;
}

export type DeltaAdsStream = ServerDuplexStream<DeltaDiscoveryRequestMessage, Buffer>;

/** What a proxy holds of one part of a type's resources, by name; shared, never changed. */
interface Holding {
  readonly byName: ReadonlyMap<string, DeltaEntry>;
}

const NOTHING: Holding = { byName: new Map() };

/** From a holding to a generated list: shared by the proxies that make the same step. */
interface Step {
  readonly next: Holding;
  readonly changed: readonly DeltaEntry[];
  readonly removed: readonly string[];
  /** The changed resources' entries, concatenated once for all. */
  body?: Buffer;
  /** The response when this step alone makes it, encoded once for all. */
  response?: { readonly nonce: string; readonly bytes: Buffer };
}

/** Steps by holding and list: complete lists (what is absent was removed) and partial ones. */
const STEPS = { complete: new WeakMap<Holding, WeakMap<readonly Json[], Step>>(), partial: new WeakMap() };

function stepOf(
  cache: ResourceCache,
  typeUrl: string,
  from: Holding,
  list: readonly Json[],
  complete: boolean,
): Step {
  const memo: WeakMap<Holding, WeakMap<readonly Json[], Step>> = complete ? STEPS.complete : STEPS.partial;
  let byList = memo.get(from);
  if (!byList) memo.set(from, (byList = new WeakMap()));
  let step = byList.get(list);
  if (step) return step;
  const next = new Map<string, DeltaEntry>(complete ? undefined : from.byName);
  const changed: DeltaEntry[] = [];
  for (const resource of list) {
    const e = cache.deltaEntry(typeUrl, resource);
    if (from.byName.get(e.name)?.version !== e.version) changed.push(e);
    next.set(e.name, e);
  }
  const removed: string[] = [];
  if (complete) for (const name of from.byName.keys()) if (!next.has(name)) removed.push(name);
  step = { next: { byName: next }, changed, removed };
  byList.set(list, step);
  return step;
}

export interface DeltaTypeState extends TypeState {
  /** Names subscribed explicitly (besides the wildcard). */
  subscription: Subscription;
  wildcard: boolean;
  names: readonly string[];
  key: string;
  /** What the proxy holds, one holding per part of the generated resources (see Generator). */
  holdings: readonly Holding[];
  /** The holdings before the latest response, restored on its NACK (the proxy keeps what it had). */
  previous?: readonly Holding[];
  /** What a reconnecting proxy said it holds, until the first response. */
  initial?: ReadonlyMap<string, DeltaEntry>;
}

/** Why a response is sent outside a push: the proxy's own request. */
interface Asked {
  /** The first request of the type on the stream: always answered, even with nothing. */
  readonly first: boolean;
  /** Names subscribed by the request; those that do not exist are reported removed. */
  readonly fresh: ReadonlySet<string>;
}

const WILDCARD = '*';
/** Stands for "every resource" when the wildcard is subscribed. */
const EVERYTHING: ReadonlySet<string> = new Set([WILDCARD]);

export class DeltaConnection extends Connection {
  readonly protocol = 'DELTA';

  /** Handles one DeltaDiscoveryRequest: an ACK or NACK (by nonce) and subscription changes. */
  onRequest(req: DeltaDiscoveryRequestMessage, currentPush: () => PushContext): void {
    const typeUrl = req.typeUrl ?? '';
    if (!GENERATORS.has(typeUrl)) return;
    const subscribe = req.resourceNamesSubscribe ?? [];
    const unsubscribe = req.resourceNamesUnsubscribe ?? [];
    let state = this.types.get(typeUrl) as DeltaTypeState | undefined;
    const first = state === undefined;
    if (!state) {
      const initial = Object.entries(req.initialResourceVersions ?? {});
      state = {
        names: [],
        key: '',
        // A first request naming nothing asks for everything (Envoy's legacy wildcard).
        wildcard: WILDCARD_TYPES.has(typeUrl) && subscribe.length === 0,
        requested: [],
        lastSent: [],
        subscription: NO_NAMES,
        holdings: [],
        ...(initial.length > 0
          ? { initial: new Map(initial.map(([name, version]) => [name, { name, version }])) }
          : {}),
      };
      this.types.set(typeUrl, state);
    }
    const nonce = req.responseNonce ?? '';
    // Only the latest response's answer counts; one to a superseded response is ignored.
    if (
      nonce !== '' &&
      nonce === state.sentNonce &&
      state.ackedNonce !== nonce &&
      state.nack?.nonce !== nonce
    ) {
      const error = nackMessage(req.errorDetail);
      if (error !== undefined && state.previous) state.holdings = state.previous;
      state.previous = undefined;
      this.answered(typeUrl, state, nonce, state.sentVersion ?? '', error);
    }
    const fresh = this.#subscribe(typeUrl, state, subscribe, unsubscribe);
    if (first || fresh.size > 0)
      this.enqueue(() => this.send(typeUrl, currentPush(), undefined, { first, fresh }));
  }

  /** What the proxy holds of `typeUrl`, for config_dump. */
  override resources(typeUrl: string): Json[] {
    const state = this.types.get(typeUrl) as DeltaTypeState | undefined;
    const out: Json[] = [];
    for (const h of state?.holdings ?? [])
      for (const e of h.byName.values()) if (e.resource) out.push(e.resource);
    return out;
  }

  /** Applies subscription changes; returns the names newly subscribed (EVERYTHING when the
   * wildcard was added). */
  #subscribe(
    typeUrl: string,
    state: DeltaTypeState,
    subscribe: readonly string[],
    unsubscribe: readonly string[],
  ): ReadonlySet<string> {
    const fresh = new Set<string>();
    let wildcardAdded = false;
    for (const name of subscribe) {
      if (name === WILDCARD) {
        if (WILDCARD_TYPES.has(typeUrl) && !state.wildcard) wildcardAdded = state.wildcard = true;
      } else if (!state.subscription.set.has(name)) fresh.add(name);
    }
    let sub = fresh.size > 0 ? withNames(state.subscription, fresh) : state.subscription;
    const gone = new Set(unsubscribe.filter((name) => name !== WILDCARD && sub.set.has(name)));
    if (gone.size > 0) sub = subscription(sub.names.filter((n) => !gone.has(n)));
    // Under the wildcard an unsubscribed resource stays; otherwise the proxy drops it, and when the
    // wildcard goes, what it held only through the wildcard.
    const dropped = state.wildcard ? new Set<string>() : gone;
    if (state.wildcard && unsubscribe.includes(WILDCARD)) {
      state.wildcard = false;
      for (const h of state.holdings)
        for (const held of h.byName.keys()) if (!sub.set.has(held)) dropped.add(held);
    }
    if (dropped.size > 0)
      state.holdings = state.holdings.map((h) => ({
        byName: new Map([...h.byName].filter(([name]) => !dropped.has(name))),
      }));
    if (sub !== state.subscription) {
      state.subscription = sub;
      state.names = sub.names;
      state.key = sub.key;
      state.requested = sub.names;
    }
    return wildcardAdded ? EVERYTHING : fresh;
  }

  protected send(typeUrl: string, push: PushContext, req?: PushRequest, asked?: Asked): void {
    const state = this.types.get(typeUrl) as DeltaTypeState | undefined;
    const gen = GENERATORS.get(typeUrl);
    if (!state || !gen || this.closed) return;
    const started = performance.now();
    const cache = this.ctx.cache;
    // An endpoint-only push generates just the assignments that changed: nothing is removed then.
    const complete = !(req && !req.full && typeUrl === ENDPOINT_TYPE);
    let steps: Step[];
    try {
      const parts = gen.generateParts?.(this.proxy, push, state, req) ?? [
        gen.generate(this.proxy, push, state, req),
      ];
      const from = state.initial ? splitInitial(cache, typeUrl, state.initial, parts) : state.holdings;
      steps = parts.map((list, i) => stepOf(cache, typeUrl, from[i] ?? NOTHING, list, complete));
    } catch (e) {
      // A resource that does not encode is a translation bug: keep the proxy on its last config.
      this.ctx.metrics.generateError(gen.short, (e as Error).message);
      return;
    }
    // Names just asked for that do not exist: saying so ends the proxy's wait for them.
    const missing: string[] = [];
    if (complete && asked && asked.fresh !== EVERYTHING)
      names: for (const name of asked.fresh) {
        for (const step of steps) if (step.next.byName.has(name)) continue names;
        missing.push(name);
      }
    const effective = steps.filter((s) => s.changed.length > 0 || s.removed.length > 0);
    if (effective.length === 0 && missing.length === 0 && !asked?.first) {
      state.holdings = steps.map((s) => s.next);
      state.initial = undefined;
      return;
    }
    const header = { systemVersionInfo: push.version, typeUrl, controlPlane: this.ctx.identifier };
    const only = effective.length === 1 && missing.length === 0 ? effective[0]! : undefined;
    let response: { readonly nonce: string; readonly bytes: Buffer };
    if (only && (!only.response || only.response.nonce !== state.sentNonce)) {
      // Shared by every proxy making this step (a nonce only has to differ within a stream).
      only.response ??= encodeStep(cache, header, [only], []);
      response = only.response;
    } else response = encodeStep(cache, header, effective, missing);
    state.previous = state.holdings;
    state.holdings = steps.map((s) => s.next);
    state.initial = undefined;
    state.sentVersion = push.version;
    state.sentNonce = response.nonce;
    state.sentAt = new Date();
    this.ctx.metrics.pushed(
      gen.short,
      (performance.now() - started) / 1000,
      response.bytes.length - FRAME_PREFIX,
    );
    this.write(response.bytes);
  }
}

/** Names subscribed, sorted and joined (the key generators memoize by); shared by the proxies that
 * subscribe alike, and so is the step from one subscription to the next. */
interface Subscription {
  readonly names: readonly string[];
  readonly key: string;
  readonly set: ReadonlySet<string>;
}

function subscription(names: readonly string[]): Subscription {
  return { names, key: names.join(','), set: new Set(names) };
}

const NO_NAMES = subscription([]);
const NEXT = new WeakMap<Subscription, Map<string, Subscription>>();
/** Steps remembered from one subscription: proxies differ in few ways at a time. */
const MAX_NEXT = 64;
/** Up to this many names join a sorted subscription by insertion rather than a new sort. */
const FEW = 16;

/** `from` with `fresh` (none of them in it) added. */
function withNames(from: Subscription, fresh: ReadonlySet<string>): Subscription {
  const added = [...fresh].join('\n');
  let next = NEXT.get(from);
  if (!next) NEXT.set(from, (next = new Map()));
  let to = next.get(added);
  if (!to) {
    to = subscription(fresh.size <= FEW ? withSorted(from.names, fresh) : [...from.names, ...fresh].sort());
    if (next.size >= MAX_NEXT) next.clear();
    next.set(added, to);
  }
  return to;
}

/** `sorted` with `names` (none of them in it) inserted in order. */
function withSorted(sorted: readonly string[], names: ReadonlySet<string>): string[] {
  const out = [...sorted];
  for (const name of names) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (out[mid]! < name) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, name);
  }
  return out;
}

function encodeStep(
  cache: ResourceCache,
  header: { systemVersionInfo: string; typeUrl: string; controlPlane: string },
  steps: readonly Step[],
  missing: readonly string[],
): { nonce: string; bytes: Buffer } {
  const nonce = nextNonce();
  const bytes = encodeDeltaResponse(
    { ...header, nonce },
    steps.map((s) => (s.body ??= Buffer.concat(s.changed.map((e) => cache.deltaBytes(e))))),
    [...steps.flatMap((s) => s.removed), ...missing],
  );
  return { nonce, bytes };
}

/** What a reconnecting proxy holds, split along the parts of a generated list; what is in no part
 * goes with the first, to be reported removed. */
function splitInitial(
  cache: ResourceCache,
  typeUrl: string,
  initial: ReadonlyMap<string, DeltaEntry>,
  parts: readonly (readonly Json[])[],
): Holding[] {
  const maps = parts.map(() => new Map<string, DeltaEntry>());
  const placed = new Set<string>();
  parts.forEach((list, i) => {
    for (const r of list) {
      const { name } = cache.deltaEntry(typeUrl, r);
      const held = initial.get(name);
      if (held) {
        maps[i]!.set(name, held);
        placed.add(name);
      }
    }
  });
  for (const [name, held] of initial) if (!placed.has(name)) maps[0]?.set(name, held);
  return maps.map((byName) => ({ byName }));
}
