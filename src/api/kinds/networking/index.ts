// networking.istio.io kinds, served at v1, v1beta1 and v1alpha3 with one schema.
import type { z } from 'zod';
import type { KindRegistry } from '../registry.ts';
import { destinationRuleSpec } from './destination-rule.ts';
import { gatewaySpec } from './gateway.ts';
import { serviceEntrySpec } from './service-entry.ts';
import { sidecarSpec } from './sidecar.ts';
import { virtualServiceSpec } from './virtual-service.ts';
import { workloadEntrySpec, workloadGroupSpec } from './workload-entry.ts';

export type { Gateway, GatewaySpec, Server, ServerTLSSettings } from './gateway.ts';
export type {
  CorsPolicy,
  Delegate,
  HTTPDirectResponse,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPMirrorPolicy,
  HTTPRedirect,
  HTTPRetry,
  HTTPRewrite,
  HTTPRoute,
  HTTPRouteDestination,
  StringMatch,
} from './http-route.ts';
export type {
  L4MatchAttributes,
  RouteDestination,
  TCPRoute,
  TLSMatchAttributes,
  TLSRoute,
  VirtualService,
  VirtualServiceSpec,
} from './virtual-service.ts';
export type {
  ClientTLSSettings,
  ConnectionPoolSettings,
  ConsistentHashLB,
  LoadBalancerSettings,
  LocalityLoadBalancerSetting,
  OutlierDetection,
  PortTrafficPolicy,
  TrafficPolicy,
} from './traffic-policy.ts';
export type { DestinationRule, DestinationRuleSpec, Subset } from './destination-rule.ts';
export type { ServiceEntry, ServiceEntrySpec } from './service-entry.ts';
export type { Sidecar, SidecarSpec } from './sidecar.ts';
export type { WorkloadEntry, WorkloadEntrySpec, WorkloadGroup, WorkloadGroupSpec } from './workload-entry.ts';
export type { Destination, Headers } from './common.ts';
export { hostProblem, hostsOverlap } from './hosts.ts';

const NETWORKING = 'networking.istio.io';
const VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

export function registerNetworkingKinds(registry: KindRegistry): void {
  const add = (kind: string, plural: string, shortNames: string[], spec: z.ZodType) =>
    registry.add({
      kind,
      group: NETWORKING,
      versions: VERSIONS,
      namespaced: true,
      plural,
      shortNames,
      body: { spec },
      requiredBody: ['spec'],
    });
  add('Gateway', 'gateways', ['gw'], gatewaySpec);
  add('VirtualService', 'virtualservices', ['vs'], virtualServiceSpec);
  add('DestinationRule', 'destinationrules', ['dr'], destinationRuleSpec);
  add('ServiceEntry', 'serviceentries', ['se'], serviceEntrySpec);
  add('Sidecar', 'sidecars', [], sidecarSpec);
  add('WorkloadEntry', 'workloadentries', ['we'], workloadEntrySpec);
  add('WorkloadGroup', 'workloadgroups', ['wg'], workloadGroupSpec);
}
