// networking.istio.io ServiceEntry: adds a service to the mesh's registry — an external API, or
// workloads Kubernetes does not know (VMs) — with its hosts, ports, resolution and endpoints.
import { atMostOne, fail, portNumber, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import {
  EVERY_ISSUE,
  exportTo,
  ipOrCidr,
  isHttpProtocol,
  isTlsProtocol,
  labelSelector,
  portName,
  protocol,
  tolerant,
  UNIX_PREFIX,
} from './common.ts';
import { fqdnProblem, hostProblem } from './hosts.ts';
import { checkWorkloadEntry, workloadEntryShape } from './workload-entry.ts';

export const servicePort = z.strictObject({
  number: portNumber,
  protocol: protocol.optional(),
  name: portName,
  targetPort: portNumber.optional(),
});

const serviceEntryShape = z.strictObject({
  hosts: z.array(z.string()).min(1, 'a ServiceEntry needs at least one host'),
  addresses: z.array(ipOrCidr).optional(),
  ports: z.array(servicePort).optional(),
  location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).optional(),
  resolution: z.enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']).optional(),
  endpoints: z.array(workloadEntryShape).optional(),
  workloadSelector: labelSelector.optional(),
  exportTo: exportTo({ allowNone: true }).optional(),
  subjectAltNames: z.array(z.string()).optional(),
});
type ServiceEntryInput = z.output<typeof serviceEntryShape>;

function checkHosts(se: ServiceEntryInput, ctx: z.RefinementCtx): void {
  se.hosts.forEach((h, i) => {
    if (h === '*') {
      fail(
        ctx,
        ['hosts', i],
        'a ServiceEntry host cannot be "*"; name the hosts, such as "*.example.com"',
        'invalid-host',
      );
      return;
    }
    const problem = hostProblem(h, true);
    if (problem) fail(ctx, ['hosts', i], problem, 'invalid-host');
  });
}

function checkPorts(se: ServiceEntryInput, ctx: z.RefinementCtx): void {
  const names = new Map<string, number>();
  const numbers = new Map<number, number>();
  (se.ports ?? []).forEach((p, i) => {
    const byName = names.get(p.name);
    if (byName !== undefined)
      fail(
        ctx,
        ['ports', i, 'name'],
        `port name "${p.name}" is already used by ports[${byName}]`,
        'duplicate-name',
      );
    else names.set(p.name, i);
    const byNumber = numbers.get(p.number);
    if (byNumber !== undefined)
      fail(
        ctx,
        ['ports', i, 'number'],
        `port ${p.number} is already defined by ports[${byNumber}]`,
        'duplicate-port',
      );
    else numbers.set(p.number, i);
  });
}

function checkResolution(se: ServiceEntryInput, ctx: z.RefinementCtx): void {
  const resolution = se.resolution ?? 'NONE';
  const endpoints = se.endpoints ?? [];
  const portNames = new Set((se.ports ?? []).map((p) => p.name));
  if ((se.addresses ?? []).some((a) => a.includes('/')) && resolution !== 'NONE' && resolution !== 'STATIC') {
    fail(
      ctx,
      ['addresses'],
      `CIDR addresses only work with resolution NONE or STATIC, not ${resolution}`,
      'conflicting-fields',
    );
  }
  if (resolution === 'NONE' && endpoints.length > 0) {
    fail(
      ctx,
      ['endpoints'],
      'with resolution NONE, a ServiceEntry takes no endpoints',
      'conflicting-fields',
      'use resolution STATIC or DNS to list endpoints',
    );
  }
  if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && endpoints.length === 0) {
    se.hosts.forEach((h, i) => {
      if (h !== '*' && fqdnProblem(h)) {
        fail(
          ctx,
          ['hosts', i],
          `with resolution ${resolution} and no endpoints, hosts are resolved by DNS, so "${h}" must be a plain host name (no wildcard)`,
          'invalid-host',
        );
      }
    });
  }
  if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
    fail(ctx, ['endpoints'], 'resolution DNS_ROUND_ROBIN takes at most one endpoint', 'invalid-value');
  }
  endpoints.forEach((ep, i) => {
    checkWorkloadEntry(ep, ctx, ['endpoints', i], { fqdn: resolution !== 'STATIC', requireAddress: true });
    for (const name of Object.keys(ep.ports ?? {})) {
      if (!portNames.has(name)) {
        fail(
          ctx,
          ['endpoints', i, 'ports', name],
          `endpoint port "${name}" is not one of the ServiceEntry's port names`,
          'unknown-port',
        );
      }
    }
    if (resolution === 'STATIC' && (ep.address ?? '').startsWith(UNIX_PREFIX) && portNames.size !== 1) {
      fail(
        ctx,
        ['endpoints', i, 'address'],
        'a unix socket endpoint needs the ServiceEntry to have exactly one port',
        'invalid-value',
      );
    }
  });
  // Plain TCP carries no host name, so several hosts cannot be told apart unless Istio ignores them.
  if (resolution !== 'NONE' && se.hosts.length > 1) {
    const i = (se.ports ?? []).findIndex((p) => !isHttpProtocol(p.protocol) && !isTlsProtocol(p.protocol));
    if (i >= 0) {
      fail(
        ctx,
        ['ports', i, 'protocol'],
        'a ServiceEntry with several hosts needs HTTP or TLS ports: plain TCP traffic cannot be told apart by host',
        'conflicting-fields',
      );
    }
  }
}

export const serviceEntrySpec = serviceEntryShape.superRefine(
  tolerant((se, ctx) => {
    atMostOne(se, ['workloadSelector', 'endpoints'], ctx, 'a ServiceEntry');
    checkHosts(se, ctx);
    checkPorts(se, ctx);
    checkResolution(se, ctx);
  }),
  EVERY_ISSUE,
);

export type ServicePort = z.output<typeof servicePort>;
export type ServiceEntrySpec = z.output<typeof serviceEntrySpec>;
export type ServiceEntry = Resource<'ServiceEntry', { spec: ServiceEntrySpec }>;
