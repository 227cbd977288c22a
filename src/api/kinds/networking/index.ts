// networking.istio.io kinds.
import type { KindRegistry } from '../registry.ts';
import { gatewaySpec } from './gateway.ts';

export type { Gateway, GatewaySpec } from './gateway.ts';
export { hostProblem } from './hosts.ts';

const NETWORKING = 'networking.istio.io';
const VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

export function registerNetworkingKinds(registry: KindRegistry): void {
  registry.add({
    kind: 'Gateway',
    group: NETWORKING,
    versions: VERSIONS,
    namespaced: true,
    plural: 'gateways',
    shortNames: ['gw'],
    body: { spec: gatewaySpec },
    requiredBody: ['spec'],
  });
}
