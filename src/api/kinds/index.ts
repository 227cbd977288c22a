// Every kind Caravel accepts, registered from this one place.
import { KindRegistry } from './registry.ts';
import { registerCoreKinds } from './core/index.ts';
import { registerNetworkingKinds } from './networking/index.ts';
import { registerSecurityKinds } from './security/index.ts';
import { registerTelemetryKinds } from './telemetry/index.ts';

export function registerAllKinds(registry: KindRegistry): void {
  registerCoreKinds(registry);
  registerNetworkingKinds(registry);
  registerSecurityKinds(registry);
  registerTelemetryKinds(registry);
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
export * from './core/index.ts';
export * from './networking/index.ts';
export * from './security/index.ts';
export * from './telemetry/index.ts';
