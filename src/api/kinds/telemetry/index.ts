// Registration of the telemetry kinds (filled in as each kind's schema lands).
import type { KindRegistry } from '../registry.ts';

export function registerTelemetryKinds(registry: KindRegistry): void {
  void registry;
}
