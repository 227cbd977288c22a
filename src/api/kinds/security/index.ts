// Registration of the security kinds (filled in as each kind's schema lands).
import type { KindRegistry } from '../registry.ts';

export function registerSecurityKinds(registry: KindRegistry): void {
  void registry;
}
