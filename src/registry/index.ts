// Public face of the service registry: services, workloads and endpoints, fed from config and by
// the runtime that runs pods.
export { ServiceRegistry, targetPortOf } from './registry.ts';
export type { PodSink, RegistryListener, RegistryView } from './registry.ts';
export type {
  Endpoint,
  Locality,
  MeshService,
  Protocol,
  RegistryChange,
  Resolution,
  ServicePort,
  Workload,
} from './model.ts';
export { isHttp, isHttp2, protocolOf } from './model.ts';
export {
  DEFAULT_DOMAIN,
  hostMatches,
  hostsIntersect,
  narrowerHost,
  resolveHost,
  selectorMatches,
  serviceHost,
} from './hosts.ts';
export { deploymentTemplate, parseLocality, workloadFromTemplate } from './sources.ts';
export type { PodPlacement, PodTemplate } from './sources.ts';
