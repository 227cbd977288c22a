// Kubernetes PodSpec and Pod: containers, volumes, scheduling and identity, with the
// cross-field checks the API server applies (unique names, mounts that name a volume, …).
import { dns1123Label, dns1123Subdomain, fail, int, labels, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { ipAddress } from '../networking/common.ts';
import { objectMeta } from '../meta.ts';
import { container, podSecurityContext, resourceRequirements } from './container.ts';
import { checkUnique, nonNegativeInt32, positiveInt32, quantity } from './fields.ts';
import { labelSelector } from './selector.ts';
import { volume } from './volume.ts';

const opaque = z.record(z.string(), z.unknown());

export const toleration = z
  .strictObject({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .superRefine((t, ctx) => {
    if (!t.key && t.operator !== 'Exists')
      fail(ctx, ['operator'], 'operator must be Exists when key is empty', 'invalid-value');
    if (t.operator === 'Exists' && t.value)
      fail(ctx, ['value'], 'value must be empty when operator is Exists', 'conflicting-fields');
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute')
      fail(ctx, ['effect'], 'effect must be NoExecute when tolerationSeconds is set', 'invalid-value');
  });

const topologySpreadConstraint = z.strictObject({
  maxSkew: positiveInt32,
  topologyKey: z.string().min(1),
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: labelSelector.optional(),
  minDomains: positiveInt32.optional(),
  nodeAffinityPolicy: z.enum(['Honor', 'Ignore']).optional(),
  nodeTaintsPolicy: z.enum(['Honor', 'Ignore']).optional(),
  matchLabelKeys: z.array(z.string()).optional(),
});

// Affinity terms are deep and rarely written by hand; their structure is accepted as given.
const affinity = z.strictObject({
  nodeAffinity: opaque.optional(),
  podAffinity: opaque.optional(),
  podAntiAffinity: opaque.optional(),
});

export const podSpec = z
  .strictObject({
    containers: z.array(container).min(1, 'a pod needs at least one container'),
    initContainers: z.array(container).optional(),
    ephemeralContainers: z.array(opaque).optional(),
    volumes: z.array(volume).optional(),
    restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
    terminationGracePeriodSeconds: nonNegativeInt32.optional(),
    activeDeadlineSeconds: positiveInt32.optional(),
    dnsPolicy: z.enum(['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']).optional(),
    dnsConfig: z
      .strictObject({
        nameservers: z.array(ipAddress).max(3, 'at most 3 nameservers').optional(),
        searches: z.array(z.string()).optional(),
        options: z.array(z.strictObject({ name: z.string(), value: z.string().optional() })).optional(),
      })
      .optional(),
    nodeSelector: labels.optional(),
    nodeName: z.string().optional(),
    serviceAccountName: dns1123Subdomain('serviceAccountName').optional(),
    serviceAccount: dns1123Subdomain('serviceAccount').optional(),
    automountServiceAccountToken: z.boolean().optional(),
    hostNetwork: z.boolean().optional(),
    hostPID: z.boolean().optional(),
    hostIPC: z.boolean().optional(),
    hostUsers: z.boolean().optional(),
    shareProcessNamespace: z.boolean().optional(),
    securityContext: podSecurityContext.optional(),
    imagePullSecrets: z.array(z.strictObject({ name: z.string() })).optional(),
    hostname: dns1123Label('hostname').optional(),
    hostnameOverride: z.string().optional(),
    subdomain: dns1123Label('subdomain').optional(),
    setHostnameAsFQDN: z.boolean().optional(),
    affinity: affinity.optional(),
    schedulerName: z.string().optional(),
    tolerations: z.array(toleration).optional(),
    hostAliases: z
      .array(z.strictObject({ ip: ipAddress, hostnames: z.array(z.string()).optional() }))
      .optional(),
    priorityClassName: z.string().optional(),
    priority: int(-2147483648, 2147483647, 'priority').optional(),
    preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).optional(),
    readinessGates: z.array(z.strictObject({ conditionType: z.string() })).optional(),
    runtimeClassName: z.string().optional(),
    enableServiceLinks: z.boolean().optional(),
    overhead: z.record(z.string(), quantity).optional(),
    topologySpreadConstraints: z.array(topologySpreadConstraint).optional(),
    os: z.strictObject({ name: z.enum(['linux', 'windows']) }).optional(),
    schedulingGates: z.array(z.strictObject({ name: z.string() })).optional(),
    resourceClaims: z.array(opaque).optional(),
    resources: resourceRequirements.optional(),
  })
  .superRefine((spec, ctx) => {
    const all = [
      ...spec.containers.map((c, i) => ({ c, at: ['containers', i] as (string | number)[] })),
      ...(spec.initContainers ?? []).map((c, i) => ({ c, at: ['initContainers', i] as (string | number)[] })),
    ];
    checkUnique(
      all,
      (x) => x.c.name,
      ctx,
      (i) => [...all[i]!.at, 'name'],
      'container name',
    );
    checkUnique(
      spec.volumes ?? [],
      (v) => v.name,
      ctx,
      (i) => ['volumes', i, 'name'],
      'volume name',
    );
    const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
    for (const { c, at } of all) {
      c.volumeMounts?.forEach((m, i) => {
        if (!volumes.has(m.name))
          fail(
            ctx,
            [...at, 'volumeMounts', i, 'name'],
            `volume "${m.name}" is mounted but not defined in the pod's volumes`,
            'not-found',
            volumes.size ? `volumes defined: ${[...volumes].join(', ')}` : 'add it under spec.volumes',
          );
      });
      if (spec.hostNetwork)
        c.ports?.forEach((p, i) => {
          if (p.hostPort !== undefined && p.hostPort !== p.containerPort)
            fail(
              ctx,
              [...at, 'ports', i, 'hostPort'],
              'hostPort must equal containerPort when hostNetwork is true',
              'invalid-value',
            );
        });
    }
    spec.containers.forEach((c, i) => {
      if (c.restartPolicy !== undefined)
        fail(
          ctx,
          ['containers', i, 'restartPolicy'],
          'restartPolicy may only be set on init containers',
          'invalid-value',
        );
    });
    spec.initContainers?.forEach((c, i) => {
      if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always')
        fail(
          ctx,
          ['initContainers', i, 'restartPolicy'],
          'an init container\'s restartPolicy may only be "Always" (a sidecar)',
          'invalid-value',
        );
      if (c.restartPolicy === 'Always') return;
      for (const f of ['readinessProbe', 'livenessProbe', 'startupProbe', 'lifecycle'] as const) {
        if (c[f] !== undefined)
          fail(
            ctx,
            ['initContainers', i, f],
            `${f} may only be set on init containers with restartPolicy "Always"`,
            'invalid-value',
          );
      }
    });
    if (spec.dnsPolicy === 'None' && !spec.dnsConfig)
      fail(ctx, ['dnsPolicy'], 'dnsPolicy None needs dnsConfig (the nameservers to use)', 'missing-field');
  });

/** Metadata of a pod template: like an object's, but the name is optional. */
export const templateMeta = objectMeta.extend({ name: z.string().optional() });

export const podTemplateSpec = z.strictObject({
  metadata: templateMeta.optional(),
  spec: podSpec,
});

export type PodSpec = z.output<typeof podSpec>;
export type PodTemplateSpec = z.output<typeof podTemplateSpec>;
export type Toleration = z.output<typeof toleration>;
export type Pod = Resource<'Pod', { spec: PodSpec }>;
