// Every kind Caravel accepts, registered from this one place.
import { KindRegistry } from './registry.ts';
import { registerNetworkingKinds } from './networking/index.ts';

export function registerAllKinds(registry: KindRegistry): void {
  registerNetworkingKinds(registry);
}

let shared: KindRegistry | undefined;

/** The registry of all built-in kinds (built once). */
export function builtinKinds(): KindRegistry {
  if (!shared) {
    shared = new KindRegistry();
    registerAllKinds(shared);
  }
  return shared;
}

export { KindRegistry, apiVersionsOf, preferredApiVersion } from './registry.ts';
export type { KindDefinition } from './registry.ts';
export type { ObjectMeta, Resource, SourceRef } from './meta.ts';
export * from './networking/index.ts';
