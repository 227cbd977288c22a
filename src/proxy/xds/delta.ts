// Incremental ADS (DeltaAggregatedResources), with Envoy's semantics: the proxy subscribes and
// unsubscribes by name (CDS and LDS with the wildcard "*"); a response carries only the resources
// added or changed, each with its own version, and the names of those removed. The client merges
// them into the full set of the type, which the handler gets as with state of the world. On a new
// stream it names every resource it holds with its version (initial_resource_versions), so the
// control plane sends only what changed meanwhile.
import { createHash } from 'node:crypto';
import type { Obj } from './decode/read.ts';
import type { AdsClientOptions, NextSet, TypeHandler, TypeState } from './ads-client.ts';
import { AdsClient, emptyState, INVALID_ARGUMENT, shortType } from './ads-client.ts';

/** envoy.service.discovery.v3.Resource as the stub decodes it. */
export interface DeltaResource {
  name: string;
  version?: string;
  resource?: Obj;
}

export interface DeltaDiscoveryResponse {
  systemVersionInfo?: string;
  resources?: DeltaResource[];
  typeUrl: string;
  removedResources?: string[];
  nonce: string;
}

interface DeltaState extends TypeState {
  /** The version of each resource held, as the control plane named it. */
  versions: Map<string, string>;
  /** What the control plane was told on this stream ("*" for the wildcard); undefined until the
   * type's first request on it. */
  subscribed: ReadonlySet<string> | undefined;
}

const WILDCARD = '*';

/**
 * The type's version when the control plane gives none (system_version_info is optional): a digest
 * of the names and versions held, so equal sets report equal versions.
 */
function heldVersion(versions: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  for (const name of [...versions.keys()].sort()) hash.update(`${name}\0${versions.get(name)}\0`);
  return hash.digest('hex').slice(0, 16);
}

/** A few names for a log line. */
function some(names: readonly string[]): string {
  if (names.length === 0) return '';
  return ` (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`;
}

export class DeltaAdsClient extends AdsClient<DeltaState, DeltaDiscoveryResponse> {
  constructor(options: AdsClientOptions) {
    super('DeltaAggregatedResources', options);
  }

  refresh(typeUrl: string): void {
    const found = this.typeOf(typeUrl);
    if (found && this.streaming) this.#request(found[0], found[1], undefined);
  }

  protected newState(): DeltaState {
    return { ...emptyState(), versions: new Map(), subscribed: undefined };
  }

  protected opened(): void {
    for (const s of this.states.values()) s.subscribed = undefined;
    // Envoy's order: clusters and listeners first; endpoints and routes follow as names are known.
    for (const h of this.options.handlers) this.#request(h, this.states.get(h.typeUrl)!, undefined);
  }

  protected async onResponse(
    handler: TypeHandler,
    state: DeltaState,
    resp: DeltaDiscoveryResponse,
  ): Promise<void> {
    let versions = state.versions;
    const error = await this.commit(handler, state, resp.systemVersionInfo || resp.nonce, () => {
      const next = this.#merge(handler, state, resp);
      versions = next.versions;
      return next;
    });
    if (error === undefined) {
      state.versions = versions;
      const changed = (resp.resources ?? []).map((r) => r.name);
      const removed = resp.removedResources ?? [];
      this.options.log(
        'debug',
        `accepted ${shortType(resp.typeUrl)} ${state.version}: ${changed.length} added or changed${some(changed)}, ${removed.length} removed${some(removed)}`,
      );
    }
    this.#request(handler, state, { nonce: resp.nonce, error });
  }

  /** The type's full set after a response: what is held, with the response's changes. */
  #merge(
    handler: TypeHandler,
    state: DeltaState,
    resp: DeltaDiscoveryResponse,
  ): NextSet & { versions: Map<string, string> } {
    const type = shortType(resp.typeUrl);
    const names = handler.names();
    const wanted = names && new Set(names);
    const resources = new Map(state.resources);
    const versions = new Map(state.versions);
    const seen = new Set<string>();
    for (const r of resp.resources ?? []) {
      if (seen.has(r.name)) throw new Error(`duplicate ${type} "${r.name}" in one response`);
      seen.add(r.name);
      const version = r.version ?? '';
      if (!r.resource) {
        // A heartbeat names a resource with the version the proxy has, and carries no resource.
        if (versions.get(r.name) === version) continue;
        throw new Error(`${type} "${r.name}" comes without its resource`);
      }
      // A resource the proxy no longer (or never) asked for is ignored, as Envoy does.
      if (wanted && !wanted.has(r.name)) continue;
      resources.set(r.name, this.decode(handler, resp.typeUrl, r.resource, r.name)[1]);
      versions.set(r.name, version);
    }
    for (const name of resp.removedResources ?? []) {
      if (seen.has(name)) throw new Error(`${type} "${name}" both updated and removed in one response`);
      seen.add(name);
      // Still subscribed by name, it stays subscribed: the control plane sends it when it exists again.
      resources.delete(name);
      versions.delete(name);
    }
    return { resources, versions, version: resp.systemVersionInfo || heldVersion(versions) };
  }

  /**
   * Tells the control plane what changed in the type's subscription, answering a response if given
   * (an ACK, or a NACK with its reason). Without an answer or a change nothing is sent, so a type
   * that wants nothing yet (RDS before any listener) sends no request.
   */
  #request(
    handler: TypeHandler,
    state: DeltaState,
    answer: { nonce: string; error: string | undefined } | undefined,
  ): void {
    const names = handler.names();
    const wanted: ReadonlySet<string> = new Set(names ?? [WILDCARD]);
    const first = state.subscribed === undefined;
    const had = state.subscribed ?? new Set<string>();
    const subscribe = [...wanted].filter((n) => !had.has(n)).sort();
    const unsubscribe = [...had].filter((n) => !wanted.has(n)).sort();
    if (!answer && subscribe.length === 0 && unsubscribe.length === 0) return;
    if (unsubscribe.length > 0)
      this.prune(handler, state, (kept) => {
        for (const name of state.versions.keys()) if (!kept.has(name)) state.versions.delete(name);
      });
    const req: Record<string, unknown> = {
      typeUrl: handler.typeUrl,
      resourceNamesSubscribe: subscribe,
      resourceNamesUnsubscribe: unsubscribe,
    };
    // A new stream: the control plane sends only what differs from what the proxy holds.
    if (first && state.versions.size > 0) req.initialResourceVersions = Object.fromEntries(state.versions);
    if (answer) {
      req.responseNonce = answer.nonce;
      if (answer.error !== undefined) req.errorDetail = { code: INVALID_ARGUMENT, message: answer.error };
    }
    state.subscribed = wanted;
    this.send(req);
  }
}
