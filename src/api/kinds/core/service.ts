// Kubernetes Service: the ports, selector and type by which a set of pods is reached, with the
// API server's rules (named ports when several, unique names and port/protocol pairs, …).
import { isIP } from 'node:net';
import { dns1123Label, dns1123Subdomain, fail, labels, portNumber, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { ipAddress } from '../networking/common.ts';
import { checkUnique, intOrPortName, portProtocol } from './fields.ts';

const APP_PROTOCOL =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** appProtocol: an IANA name ("http", "grpc") or a domain-prefixed name ("example.com/proto"). */
export const appProtocol = z.string().superRefine((p, ctx) => {
  if (!APP_PROTOCOL.test(p))
    fail(
      ctx,
      [],
      `appProtocol "${p}" must be a name such as "http", "grpc" or "example.com/custom"`,
      'invalid-value',
    );
});

export const servicePort = z.strictObject({
  name: dns1123Label('port name').optional(),
  protocol: portProtocol.optional(),
  appProtocol: appProtocol.optional(),
  port: portNumber,
  targetPort: intOrPortName.optional(),
  nodePort: portNumber.optional(),
});

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;

const clusterIP = z.string().superRefine((ip, ctx) => {
  if (ip !== '' && ip !== 'None' && isIP(ip) === 0)
    fail(ctx, [], `clusterIP "${ip}" must be "None", empty, or an IP address`, 'invalid-address');
});

export const serviceSpec = z
  .strictObject({
    type: z.enum(TYPES).optional(),
    selector: labels.optional(),
    ports: z.array(servicePort).optional(),
    clusterIP: clusterIP.optional(),
    clusterIPs: z.array(clusterIP).max(2).optional(),
    externalName: dns1123Subdomain('externalName').optional(),
    externalIPs: z.array(ipAddress).optional(),
    sessionAffinity: z.enum(['ClientIP', 'None']).optional(),
    sessionAffinityConfig: z
      .strictObject({
        clientIP: z
          .strictObject({
            timeoutSeconds: z
              .number()
              .int()
              .min(1)
              .max(86400, 'timeoutSeconds must be at most 86400')
              .optional(),
          })
          .optional(),
      })
      .optional(),
    externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    healthCheckNodePort: portNumber.optional(),
    publishNotReadyAddresses: z.boolean().optional(),
    ipFamilies: z
      .array(z.enum(['IPv4', 'IPv6']))
      .max(2)
      .optional(),
    ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
    loadBalancerIP: z.string().optional(),
    loadBalancerSourceRanges: z.array(z.string()).optional(),
    loadBalancerClass: z.string().optional(),
    allocateLoadBalancerNodePorts: z.boolean().optional(),
    trafficDistribution: z.string().optional(),
  })
  .superRefine((spec, ctx) => {
    const type = spec.type ?? 'ClusterIP';
    const ports = spec.ports ?? [];
    const headless = spec.clusterIP === 'None';
    if (type === 'ExternalName') {
      if (!spec.externalName)
        fail(ctx, ['externalName'], 'a Service of type ExternalName needs externalName', 'missing-field');
      if (spec.clusterIP !== undefined && spec.clusterIP !== '')
        fail(
          ctx,
          ['clusterIP'],
          'clusterIP must be empty for a Service of type ExternalName',
          'conflicting-fields',
        );
    } else if (ports.length === 0 && !headless) {
      fail(ctx, ['ports'], 'a Service needs at least one port', 'missing-field');
    }
    if (ports.length > 1) {
      ports.forEach((p, i) => {
        if (p.name === undefined || p.name === '')
          fail(
            ctx,
            ['ports', i, 'name'],
            'every port needs a name when a Service has more than one port',
            'missing-field',
            'name ports after their protocol, such as "http" or "grpc-api"; Istio reads the protocol from the prefix',
          );
      });
    }
    checkUnique(
      ports,
      (p) => p.name || undefined,
      ctx,
      (i) => ['ports', i, 'name'],
      'port name',
    );
    checkUnique(
      ports,
      (p) => `${p.port}/${p.protocol ?? 'TCP'}`,
      ctx,
      (i) => ['ports', i, 'port'],
      'port',
    );
    if (type === 'ClusterIP' || type === 'ExternalName')
      ports.forEach((p, i) => {
        if (p.nodePort !== undefined)
          fail(
            ctx,
            ['ports', i, 'nodePort'],
            `nodePort may not be set for a Service of type ${type}`,
            'conflicting-fields',
          );
      });
    const external =
      type === 'NodePort' ||
      type === 'LoadBalancer' ||
      (type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
    if (!external && spec.externalTrafficPolicy !== undefined)
      fail(
        ctx,
        ['externalTrafficPolicy'],
        'externalTrafficPolicy may only be set for externally reachable Services (NodePort, LoadBalancer or with externalIPs)',
        'conflicting-fields',
      );
    if (spec.sessionAffinityConfig && spec.sessionAffinity !== 'ClientIP')
      fail(
        ctx,
        ['sessionAffinityConfig'],
        'sessionAffinityConfig requires sessionAffinity: ClientIP',
        'conflicting-fields',
      );
  });

export type ServicePort = z.output<typeof servicePort>;
export type ServiceSpec = z.output<typeof serviceSpec>;
export type Service = Resource<'Service', { spec: ServiceSpec }>;
