// State-of-the-world ADS (StreamAggregatedResources): each response carries every resource of its
// type the proxy asked for; an ACK or NACK repeats the subscription with the version last accepted.
import type { Obj } from './decode/read.ts';
import type { AdsClientOptions, TypeHandler, TypeState } from './ads-client.ts';
import { AdsClient, emptyState, INVALID_ARGUMENT, shortType } from './ads-client.ts';

/**
 * A response as the gRPC stub delivers it: with the shared proto options, each Any resource arrives
 * already decoded as `{'@type': url, ...fields}`.
 */
export interface DiscoveryResponse {
  versionInfo: string;
  resources?: Obj[];
  typeUrl: string;
  nonce: string;
}

interface SotwState extends TypeState {
  nonce: string;
  /** The names last requested, sorted and joined ('*' for the wildcard). */
  names: string;
}

const RESOURCE_WRAPPER = 'type.googleapis.com/envoy.service.discovery.v3.Resource';

function namesKey(names: readonly string[] | undefined): string {
  return names === undefined ? '*' : [...names].sort().join('\n');
}

export class SotwAdsClient extends AdsClient<SotwState, DiscoveryResponse> {
  constructor(options: AdsClientOptions) {
    super('StreamAggregatedResources', options);
  }

  refresh(typeUrl: string): void {
    const found = this.typeOf(typeUrl);
    if (!found || !this.streaming) return;
    const [handler, state] = found;
    const names = handler.names();
    if (namesKey(names) === state.names) return;
    // RDS and EDS are not full-state: what is no longer asked for is forgotten here.
    if (names !== undefined) this.prune(handler, state);
    this.#request(handler, state, undefined);
  }

  protected newState(): SotwState {
    return { ...emptyState(), nonce: '', names: '' };
  }

  protected opened(): void {
    for (const s of this.states.values()) {
      s.names = '';
      s.nonce = '';
    }
    // Envoy's order: clusters and listeners first; endpoints and routes follow as names are known.
    for (const h of this.options.handlers) {
      const names = h.names();
      if (names === undefined || names.length > 0) this.#request(h, this.states.get(h.typeUrl)!, undefined);
    }
  }

  protected async onResponse(handler: TypeHandler, state: SotwState, resp: DiscoveryResponse): Promise<void> {
    state.nonce = resp.nonce;
    const error = await this.commit(handler, state, resp.versionInfo, () => {
      const decoded = this.#decodeAll(handler, resp);
      const next = handler.fullState ? decoded : new Map([...state.resources, ...decoded]);
      const wanted = handler.names();
      if (!handler.fullState && wanted)
        for (const name of next.keys()) if (!wanted.includes(name)) next.delete(name);
      return { resources: next, version: resp.versionInfo };
    });
    this.#request(handler, state, error);
  }

  #request(handler: TypeHandler, state: SotwState, error: string | undefined): void {
    const names = handler.names();
    state.names = namesKey(names);
    const req: Record<string, unknown> = {
      versionInfo: state.version,
      resourceNames: names ?? [],
      typeUrl: handler.typeUrl,
      responseNonce: state.nonce,
    };
    if (error !== undefined) req.errorDetail = { code: INVALID_ARGUMENT, message: error };
    this.send(req);
  }

  #decodeAll(handler: TypeHandler, resp: DiscoveryResponse): Map<string, unknown> {
    const out = new Map<string, unknown>();
    // proto3 leaves an empty repeated field out: a response with no resources has none at all.
    for (const any of resp.resources ?? []) {
      const resource = any['@type'] === RESOURCE_WRAPPER ? ((any.resource as Obj | undefined) ?? {}) : any;
      const [name, value] = this.decode(handler, resp.typeUrl, resource);
      if (out.has(name)) throw new Error(`duplicate ${shortType(resp.typeUrl)} "${name}" in one response`);
      out.set(name, value);
    }
    return out;
  }
}
