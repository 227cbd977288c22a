// telemetry.istio.io kinds.
import type { KindRegistry } from '../registry.ts';
import { telemetrySpec } from './telemetry.ts';

export type {
  AccessLogging,
  MetricSelector,
  Metrics,
  MetricsOverrides,
  ProviderRef,
  Telemetry,
  TelemetrySpec,
  Tracing,
} from './telemetry.ts';
export { METRICS } from './telemetry.ts';

export function registerTelemetryKinds(registry: KindRegistry): void {
  registry.add({
    kind: 'Telemetry',
    group: 'telemetry.istio.io',
    versions: ['v1', 'v1alpha1'],
    namespaced: true,
    plural: 'telemetries',
    shortNames: ['telemetry'],
    // An empty Telemetry is valid (it inherits everything), so an absent spec stands for {}.
    body: { spec: telemetrySpec.default({}) },
    requiredBody: ['spec'],
  });
}
