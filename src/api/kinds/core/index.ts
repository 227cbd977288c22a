// Registration of the core kinds (filled in as each kind's schema lands).
import type { KindRegistry } from '../registry.ts';

export function registerCoreKinds(registry: KindRegistry): void {
  void registry;
}
