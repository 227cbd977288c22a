// Kubernetes core kinds a mesh needs: Namespace, Service, ServiceAccount, Deployment, Pod, Endpoints.
import { z } from '../../schema/primitives.ts';
import type { KindRegistry } from '../registry.ts';
import { deploymentSpec } from './deployment.ts';
import { endpointSubset, namespaceSpec, serviceAccountBody } from './namespace.ts';
import { podSpec } from './pod.ts';
import { serviceSpec } from './service.ts';

export type {
  Container,
  ContainerPort,
  EnvVar,
  Probe,
  ResourceRequirements,
  VolumeMount,
} from './container.ts';
export type { Deployment, DeploymentSpec, DeploymentStrategy } from './deployment.ts';
export type { EndpointSubset, Endpoints, Namespace, NamespaceSpec, ServiceAccount } from './namespace.ts';
export type { Pod, PodSpec, PodTemplateSpec, Toleration } from './pod.ts';
export type { LabelSelector, LabelSelectorRequirement } from './selector.ts';
export { isEmptySelector, selectorMatches } from './selector.ts';
export type { Service, ServicePort, ServiceSpec } from './service.ts';
export type { Volume } from './volume.ts';

export function registerCoreKinds(registry: KindRegistry): void {
  registry.add({
    kind: 'Namespace',
    group: '',
    versions: ['v1'],
    namespaced: false,
    plural: 'namespaces',
    shortNames: ['ns'],
    body: { spec: namespaceSpec },
    nameFormat: 'label',
  });
  registry.add({
    kind: 'Service',
    group: '',
    versions: ['v1'],
    namespaced: true,
    plural: 'services',
    shortNames: ['svc'],
    body: { spec: serviceSpec },
    requiredBody: ['spec'],
    nameFormat: 'label1035',
  });
  registry.add({
    kind: 'ServiceAccount',
    group: '',
    versions: ['v1'],
    namespaced: true,
    plural: 'serviceaccounts',
    shortNames: ['sa'],
    body: serviceAccountBody,
  });
  registry.add({
    kind: 'Deployment',
    group: 'apps',
    versions: ['v1'],
    namespaced: true,
    plural: 'deployments',
    shortNames: ['deploy'],
    body: { spec: deploymentSpec },
    requiredBody: ['spec'],
  });
  registry.add({
    kind: 'Pod',
    group: '',
    versions: ['v1'],
    namespaced: true,
    plural: 'pods',
    shortNames: ['po'],
    body: { spec: podSpec },
    requiredBody: ['spec'],
  });
  registry.add({
    kind: 'Endpoints',
    group: '',
    versions: ['v1'],
    namespaced: true,
    plural: 'endpoints',
    shortNames: ['ep'],
    body: { subsets: z.array(endpointSubset) },
  });
}
