// Namespace (cluster-scoped), ServiceAccount and Endpoints: the small core kinds.
import { dns1123Label, fail, portNumber, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { ipAddress } from '../networking/common.ts';
import { checkUnique, portProtocol } from './fields.ts';
import { appProtocol } from './service.ts';

export const namespaceSpec = z.strictObject({ finalizers: z.array(z.string()).optional() });

const objectReference = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const serviceAccountBody = {
  secrets: z.array(objectReference).optional(),
  imagePullSecrets: z.array(z.strictObject({ name: z.string() })).optional(),
  automountServiceAccountToken: z.boolean().optional(),
};

const endpointAddress = z.strictObject({
  ip: ipAddress,
  hostname: dns1123Label('hostname').optional(),
  nodeName: z.string().optional(),
  targetRef: objectReference.optional(),
});

const endpointPort = z.strictObject({
  name: dns1123Label('port name').optional(),
  port: portNumber,
  protocol: portProtocol.optional(),
  appProtocol: appProtocol.optional(),
});

export const endpointSubset = z
  .strictObject({
    addresses: z.array(endpointAddress).optional(),
    notReadyAddresses: z.array(endpointAddress).optional(),
    ports: z.array(endpointPort).optional(),
  })
  .superRefine((s, ctx) => {
    const ports = s.ports ?? [];
    if (ports.length > 1)
      ports.forEach((p, i) => {
        if (!p.name)
          fail(
            ctx,
            ['ports', i, 'name'],
            'every port needs a name when a subset has more than one port',
            'missing-field',
          );
      });
    checkUnique(
      ports,
      (p) => p.name || undefined,
      ctx,
      (i) => ['ports', i, 'name'],
      'port name',
    );
  });

export type NamespaceSpec = z.output<typeof namespaceSpec>;
export type Namespace = Resource<'Namespace', { spec?: NamespaceSpec }>;
export type ServiceAccount = Resource<
  'ServiceAccount',
  { [K in keyof typeof serviceAccountBody]?: z.output<(typeof serviceAccountBody)[K]> }
>;
export type EndpointSubset = z.output<typeof endpointSubset>;
export type Endpoints = Resource<'Endpoints', { subsets?: EndpointSubset[] }>;
