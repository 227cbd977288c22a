// HTTP filters register by name and by the type URL of their typed_config; the connection manager
// builds each listener's filter chain from this registry. register() in ../../register.ts fills it.
import type { Obj, Reader } from '../../xds/decode/read.ts';
import type { Scope } from '../../stats/store.ts';
import type { HttpStream } from '../stream.ts';

/** A filter either lets the request continue to the next filter, or has answered it itself. */
export type FilterStatus = 'continue' | 'stop';

export interface HttpFilter {
  decodeHeaders(stream: HttpStream): FilterStatus | Promise<FilterStatus>;
}

export interface HttpFilterFactory<C = unknown> {
  /** Envoy's canonical name, e.g. envoy.filters.http.fault. */
  readonly name: string;
  readonly typeUrls: readonly string[];
  /** Validates and compiles the listener-level config; throws XdsResourceError (→ NACK). */
  parse(r: Reader, config: Obj, path: string): C;
  /** Validates and compiles a route's typed_per_filter_config entry. */
  parsePerRoute?(r: Reader, config: Obj, path: string): unknown;
  /** `stats` is the connection manager's scope (http.<stat_prefix>.). */
  create(config: C, stats: Scope): HttpFilter;
  /** The router ends the chain; every chain must end with exactly one terminal filter. */
  readonly terminal?: boolean;
}

const byName = new Map<string, HttpFilterFactory>();
const byType = new Map<string, HttpFilterFactory>();

export function registerHttpFilter<C>(factory: HttpFilterFactory<C>): void {
  if (byName.has(factory.name)) return;
  byName.set(factory.name, factory as HttpFilterFactory);
  for (const t of factory.typeUrls) byType.set(t, factory as HttpFilterFactory);
}

/** Finds a filter by its typed config's type URL (as Envoy does), else by name. */
export function findHttpFilter(typeUrl: string | undefined, name: string): HttpFilterFactory | undefined {
  return (typeUrl && byType.get(typeUrl)) || byName.get(name);
}
