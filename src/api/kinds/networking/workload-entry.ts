// networking.istio.io WorkloadEntry (a workload outside Kubernetes, such as a VM) and WorkloadGroup
// (the template new WorkloadEntries are made from). ServiceEntry endpoints have the same shape.
import { annotations, exactlyOne, fail, int, labels, portNumber, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { UNIX_PREFIX, portName, unixPathProblem } from './common.ts';
import { fqdnProblem, isIpAddress } from './hosts.ts';

export const workloadEntryShape = z.strictObject({
  address: z.string().optional(),
  ports: z.record(z.string(), portNumber).optional(),
  labels: labels.optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: int(0, 4294967295, 'weight').optional(),
  serviceAccount: z.string().optional(),
});
type WorkloadEntryInput = z.output<typeof workloadEntryShape>;

/** Checks an entry's address and port names; `fqdn` says whether a DNS name may stand for an IP. */
export function checkWorkloadEntry(
  we: WorkloadEntryInput,
  ctx: z.RefinementCtx,
  path: (string | number)[],
  options: { fqdn: boolean; requireAddress: boolean },
): void {
  const addr = we.address ?? '';
  if (addr === '' && options.requireAddress && !we.network) {
    fail(
      ctx,
      [...path, 'address'],
      'a workload entry needs an address (an IP address or host name)',
      'missing-field',
    );
  }
  if (addr.startsWith(UNIX_PREFIX)) {
    const problem = unixPathProblem(addr.slice(UNIX_PREFIX.length));
    if (problem) fail(ctx, [...path, 'address'], problem, 'invalid-address');
    if (Object.keys(we.ports ?? {}).length > 0) {
      fail(ctx, [...path, 'ports'], `a unix socket endpoint (${addr}) takes no ports`, 'conflicting-fields');
    }
  } else if (addr !== '' && !isIpAddress(addr)) {
    if (!options.fqdn) {
      fail(
        ctx,
        [...path, 'address'],
        `"${addr}" is not an IP address; with resolution STATIC, endpoints need IP addresses`,
        'invalid-address',
        'use resolution DNS for host names',
      );
    } else if (fqdnProblem(addr)) {
      fail(
        ctx,
        [...path, 'address'],
        `"${addr}" is neither an IP address nor a valid host name`,
        'invalid-address',
      );
    }
  }
  for (const name of Object.keys(we.ports ?? {})) {
    const r = portName.safeParse(name);
    if (!r.success) fail(ctx, [...path, 'ports', name], r.error.issues[0]!.message, 'invalid-name');
  }
}

export const workloadEntrySpec = workloadEntryShape.superRefine((we, ctx) =>
  checkWorkloadEntry(we, ctx, [], { fqdn: true, requireAddress: true }),
);

const readinessProbe = z
  .strictObject({
    initialDelaySeconds: int(0, 2147483647, 'initialDelaySeconds').optional(),
    timeoutSeconds: int(0, 2147483647, 'timeoutSeconds').optional(),
    periodSeconds: int(0, 2147483647, 'periodSeconds').optional(),
    successThreshold: int(0, 2147483647, 'successThreshold').optional(),
    failureThreshold: int(0, 2147483647, 'failureThreshold').optional(),
    httpGet: z
      .strictObject({
        path: z.string().optional(),
        port: portNumber,
        host: z.string().optional(),
        scheme: z.enum(['HTTP', 'HTTPS']).optional(),
        httpHeaders: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[-A-Za-z0-9]+$/, 'probe header names are letters, digits and "-"'),
              value: z.string().optional(),
            }),
          )
          .optional(),
      })
      .optional(),
    tcpSocket: z.strictObject({ host: z.string().optional(), port: portNumber }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1, 'exec needs a command') }).optional(),
    grpc: z.strictObject({ port: portNumber, service: z.string().optional() }).optional(),
  })
  .superRefine((p, ctx) => exactlyOne(p, ['httpGet', 'tcpSocket', 'exec', 'grpc'], ctx, 'a probe'));

export const workloadGroupSpec = z.strictObject({
  metadata: z.strictObject({ labels: labels.optional(), annotations: annotations.optional() }).optional(),
  template: workloadEntryShape.superRefine((we, ctx) =>
    // Addresses are filled in when workloads register, so the template needs none.
    checkWorkloadEntry(we, ctx, [], { fqdn: true, requireAddress: false }),
  ),
  probe: readinessProbe.optional(),
});

export type WorkloadEntrySpec = z.output<typeof workloadEntrySpec>;
export type WorkloadEntry = Resource<'WorkloadEntry', { spec: WorkloadEntrySpec }>;
export type WorkloadGroupSpec = z.output<typeof workloadGroupSpec>;
export type WorkloadGroup = Resource<'WorkloadGroup', { spec: WorkloadGroupSpec }>;
