// Kubernetes Container: image, command, env, ports, probes, resources, mounts and security
// context, with the checks the API server applies to each.
import { atMostOne, exactlyOne, fail, int, portNumber, z } from '../../schema/primitives.ts';
import { dns1123Label } from '../../schema/primitives.ts';
import {
  checkUnique,
  intOrPortName,
  nonNegativeInt32,
  parseQuantity,
  portName,
  portProtocol,
  positiveInt32,
  quantity,
} from './fields.ts';

/** Env var names: printable ASCII other than "=", as current Kubernetes accepts them. */
const envVarName = z.string().superRefine((name, ctx) => {
  if (name === '') fail(ctx, [], 'environment variable name must not be empty', 'invalid-name');
  else if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(name))
    fail(
      ctx,
      [],
      `environment variable name "${name}" must consist of printable ASCII characters other than "="`,
      'invalid-name',
    );
});

const objectFieldSelector = z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.string() });
const resourceFieldSelector = z.strictObject({
  containerName: z.string().optional(),
  resource: z.string(),
  divisor: quantity.optional(),
});
const keySelector = z.strictObject({
  name: z.string().optional(),
  key: z.string(),
  optional: z.boolean().optional(),
});
const fileKeySelector = z.strictObject({
  volumeName: z.string(),
  path: z.string(),
  key: z.string(),
  optional: z.boolean().optional(),
});

const envVarSource = z
  .strictObject({
    fieldRef: objectFieldSelector.optional(),
    resourceFieldRef: resourceFieldSelector.optional(),
    configMapKeyRef: keySelector.optional(),
    secretKeyRef: keySelector.optional(),
    fileKeyRef: fileKeySelector.optional(),
  })
  .superRefine((s, ctx) =>
    exactlyOne(
      s,
      ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'],
      ctx,
      'valueFrom',
    ),
  );

export const envVar = z
  .strictObject({
    name: envVarName,
    value: z.string({ error: 'env values must be strings (quote numbers and booleans)' }).optional(),
    valueFrom: envVarSource.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.value !== undefined && e.value !== '' && e.valueFrom !== undefined)
      fail(
        ctx,
        ['valueFrom'],
        'valueFrom may not be given together with a non-empty value',
        'conflicting-fields',
      );
  });

const envFromSource = z.strictObject({
  prefix: z.string().optional(),
  configMapRef: z.strictObject({ name: z.string(), optional: z.boolean().optional() }).optional(),
  secretRef: z.strictObject({ name: z.string(), optional: z.boolean().optional() }).optional(),
});

export const containerPort = z.strictObject({
  containerPort: portNumber,
  name: portName.optional(),
  protocol: portProtocol.optional(),
  hostPort: portNumber.optional(),
  hostIP: z.string().optional(),
});

const httpHeader = z.strictObject({
  name: z.string().min(1, 'header name must not be empty'),
  value: z.string(),
});

const execAction = z.strictObject({ command: z.array(z.string()).optional() });
const httpGetAction = z.strictObject({
  path: z.string().optional(),
  port: intOrPortName,
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  httpHeaders: z.array(httpHeader).optional(),
});
const tcpSocketAction = z.strictObject({ port: intOrPortName, host: z.string().optional() });
const grpcAction = z.strictObject({ port: portNumber, service: z.string().optional() });
const sleepAction = z.strictObject({ seconds: int(1, Number.MAX_SAFE_INTEGER, 'sleep seconds') });

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;

export const probe = z
  .strictObject({
    exec: execAction.optional(),
    httpGet: httpGetAction.optional(),
    tcpSocket: tcpSocketAction.optional(),
    grpc: grpcAction.optional(),
    initialDelaySeconds: nonNegativeInt32.optional(),
    timeoutSeconds: nonNegativeInt32.optional(),
    periodSeconds: nonNegativeInt32.optional(),
    successThreshold: nonNegativeInt32.optional(),
    failureThreshold: nonNegativeInt32.optional(),
    terminationGracePeriodSeconds: positiveInt32.optional(),
  })
  .superRefine((p, ctx) => exactlyOne(p, PROBE_HANDLERS, ctx, 'a probe'));

const lifecycleHandler = z
  .strictObject({
    exec: execAction.optional(),
    httpGet: httpGetAction.optional(),
    tcpSocket: tcpSocketAction.optional(),
    sleep: sleepAction.optional(),
  })
  .superRefine((h, ctx) =>
    exactlyOne(h, ['exec', 'httpGet', 'tcpSocket', 'sleep'], ctx, 'a lifecycle handler'),
  );

const lifecycle = z.strictObject({
  postStart: lifecycleHandler.optional(),
  preStop: lifecycleHandler.optional(),
  stopSignal: z.string().optional(),
});

const resourceMap = z.record(z.string().min(1, 'resource name must not be empty'), quantity);

export const resourceRequirements = z
  .strictObject({
    limits: resourceMap.optional(),
    requests: resourceMap.optional(),
    claims: z.array(z.strictObject({ name: z.string(), request: z.string().optional() })).optional(),
  })
  .superRefine((r, ctx) => {
    for (const [name, req] of Object.entries(r.requests ?? {})) {
      const lim = r.limits?.[name];
      if (lim === undefined) continue;
      const rv = parseQuantity(req);
      const lv = parseQuantity(lim);
      if (rv !== undefined && lv !== undefined && rv > lv)
        fail(
          ctx,
          ['requests', name],
          `${name} request ${String(req)} must be less than or equal to the ${name} limit ${String(lim)}`,
          'invalid-value',
        );
    }
  });

const seLinuxOptions = z.strictObject({
  user: z.string().optional(),
  role: z.string().optional(),
  type: z.string().optional(),
  level: z.string().optional(),
});
const profile = z
  .strictObject({
    type: z.enum(['RuntimeDefault', 'Unconfined', 'Localhost']),
    localhostProfile: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'Localhost' && !p.localhostProfile)
      fail(ctx, ['localhostProfile'], 'localhostProfile is required when type is Localhost', 'missing-field');
    if (p.type !== 'Localhost' && p.localhostProfile !== undefined)
      fail(
        ctx,
        ['localhostProfile'],
        'localhostProfile is only allowed when type is Localhost',
        'conflicting-fields',
      );
  });
const windowsOptions = z.strictObject({
  gmsaCredentialSpecName: z.string().optional(),
  gmsaCredentialSpec: z.string().optional(),
  runAsUserName: z.string().optional(),
  hostProcess: z.boolean().optional(),
});
const userId = int(0, 2147483647, 'user or group id');

export const securityContext = z.strictObject({
  allowPrivilegeEscalation: z.boolean().optional(),
  appArmorProfile: profile.optional(),
  capabilities: z
    .strictObject({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() })
    .optional(),
  privileged: z.boolean().optional(),
  procMount: z.enum(['Default', 'Unmasked']).optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  runAsGroup: userId.optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: userId.optional(),
  seLinuxOptions: seLinuxOptions.optional(),
  seccompProfile: profile.optional(),
  windowsOptions: windowsOptions.optional(),
});

export const podSecurityContext = z.strictObject({
  appArmorProfile: profile.optional(),
  fsGroup: userId.optional(),
  fsGroupChangePolicy: z.enum(['OnRootMismatch', 'Always']).optional(),
  runAsGroup: userId.optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: userId.optional(),
  seLinuxChangePolicy: z.enum(['Recursive', 'MountOption']).optional(),
  seLinuxOptions: seLinuxOptions.optional(),
  seccompProfile: profile.optional(),
  supplementalGroups: z.array(userId).optional(),
  supplementalGroupsPolicy: z.enum(['Merge', 'Strict']).optional(),
  sysctls: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
  windowsOptions: windowsOptions.optional(),
});

export const volumeMount = z
  .strictObject({
    name: z.string(),
    mountPath: z.string().min(1, 'mountPath must not be empty'),
    readOnly: z.boolean().optional(),
    recursiveReadOnly: z.enum(['Disabled', 'IfPossible', 'Enabled']).optional(),
    subPath: z.string().optional(),
    subPathExpr: z.string().optional(),
    mountPropagation: z.enum(['None', 'HostToContainer', 'Bidirectional']).optional(),
  })
  .superRefine((m, ctx) => atMostOne(m, ['subPath', 'subPathExpr'], ctx, 'a volume mount'));

export const container = z
  .strictObject({
    name: dns1123Label('container name'),
    image: z.string().min(1, 'image must not be empty'),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    workingDir: z.string().optional(),
    ports: z.array(containerPort).optional(),
    env: z.array(envVar).optional(),
    envFrom: z.array(envFromSource).optional(),
    resources: resourceRequirements.optional(),
    resizePolicy: z
      .array(
        z.strictObject({
          resourceName: z.string(),
          restartPolicy: z.enum(['NotRequired', 'RestartContainer']),
        }),
      )
      .optional(),
    restartPolicy: z.enum(['Always', 'Never', 'OnFailure']).optional(),
    volumeMounts: z.array(volumeMount).optional(),
    volumeDevices: z.array(z.strictObject({ name: z.string(), devicePath: z.string() })).optional(),
    livenessProbe: probe.optional(),
    readinessProbe: probe.optional(),
    startupProbe: probe.optional(),
    lifecycle: lifecycle.optional(),
    terminationMessagePath: z.string().optional(),
    terminationMessagePolicy: z.enum(['File', 'FallbackToLogsOnError']).optional(),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    securityContext: securityContext.optional(),
    stdin: z.boolean().optional(),
    stdinOnce: z.boolean().optional(),
    tty: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    checkUnique(
      c.ports ?? [],
      (p) => p.name,
      ctx,
      (i) => ['ports', i, 'name'],
      'port name',
    );
    checkUnique(
      c.volumeMounts ?? [],
      (m) => m.mountPath,
      ctx,
      (i) => ['volumeMounts', i, 'mountPath'],
      'mountPath',
    );
    for (const p of ['livenessProbe', 'startupProbe'] as const) {
      const t = c[p]?.successThreshold;
      if (t !== undefined && t !== 1)
        fail(ctx, [p, 'successThreshold'], `${p}.successThreshold must be 1`, 'invalid-value');
    }
  });

export type Container = z.output<typeof container>;
export type ContainerPort = z.output<typeof containerPort>;
export type EnvVar = z.output<typeof envVar>;
export type Probe = z.output<typeof probe>;
export type ResourceRequirements = z.output<typeof resourceRequirements>;
export type VolumeMount = z.output<typeof volumeMount>;
