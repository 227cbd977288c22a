// networking.istio.io Sidecar: narrows what a workload's proxy listens for (ingress) and which
// services it can reach (egress), and whether unknown destinations are allowed.
import { isIP } from 'node:net';
import { fail, nonNegativeInt, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import {
  destination,
  EVERY_ISSUE,
  isTlsProtocol,
  labelSelector,
  portName,
  protocol,
  tolerant,
  UNIX_PREFIX,
  unixPathProblem,
} from './common.ts';
import { checkBind, serverTLSSettings } from './gateway.ts';
import { fqdnProblem, sidecarHost } from './hosts.ts';
import { connectionPoolSettings } from './traffic-policy.ts';

export const sidecarPort = z.strictObject({
  number: nonNegativeInt.max(65535, 'port number must be at most 65535'),
  protocol: protocol.optional(),
  name: portName.optional(),
  targetPort: nonNegativeInt.optional(),
});

const captureMode = z.enum(['DEFAULT', 'IPTABLES', 'NONE']);

/** Where inbound traffic goes: "127.0.0.1:port", "0.0.0.0:port", "[::1]:port", "[::]:port" or unix://. */
function defaultEndpointProblem(ep: string): string | undefined {
  if (ep.startsWith(UNIX_PREFIX)) return unixPathProblem(ep.slice(UNIX_PREFIX.length));
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(ep);
  const hostPart = m ? (m[1] ?? m[2] ?? '') : '';
  if (!m || (m[1] !== undefined && isIP(hostPart) !== 6)) {
    return `defaultEndpoint "${ep}" must be "127.0.0.1:<port>", "0.0.0.0:<port>", "[::1]:<port>", "[::]:<port>" or "unix://<path>"`;
  }
  if (hostPart !== '' && !['127.0.0.1', '0.0.0.0', '::1', '::'].includes(hostPart)) {
    return `defaultEndpoint "${ep}" must be on 127.0.0.1, 0.0.0.0, ::1 or ::, the workload's own addresses`;
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `defaultEndpoint "${ep}": the port must be between 1 and 65535`;
  return undefined;
}

export const ingressListener = z
  .strictObject({
    port: sidecarPort,
    bind: z.string().optional(),
    captureMode: captureMode.optional(),
    defaultEndpoint: z.string().optional(),
    tls: serverTLSSettings.optional(),
    connectionPool: connectionPoolSettings.optional(),
  })
  .superRefine((l, ctx) => {
    if (l.port.number === 0)
      fail(ctx, ['port', 'number'], 'port number must be between 1 and 65535', 'invalid-port');
    if (l.port.targetPort)
      fail(ctx, ['port', 'targetPort'], 'targetPort has no effect on a Sidecar; remove it', 'invalid-value');
    if (l.bind && isIP(l.bind) === 0)
      fail(ctx, ['bind'], `bind "${l.bind}" must be an IP address`, 'invalid-address');
    if (l.defaultEndpoint) {
      const problem = defaultEndpointProblem(l.defaultEndpoint);
      if (problem) fail(ctx, ['defaultEndpoint'], problem, 'invalid-address');
    }
    const tls = l.tls;
    if (tls) {
      const unsupported = [
        ['subjectAltNames', tls.subjectAltNames?.length],
        ['httpsRedirect', tls.httpsRedirect],
        ['credentialName', tls.credentialName],
        ['credentialNames', tls.credentialNames?.length],
        ['tlsCertificates', tls.tlsCertificates?.length],
      ] as const;
      for (const [field, set] of unsupported) {
        if (set)
          fail(ctx, ['tls', field], `"${field}" is not supported in Sidecar ingress tls`, 'unsupported');
      }
      if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH') {
        fail(
          ctx,
          ['tls', 'mode'],
          `TLS mode ${tls.mode} cannot be used in Sidecar ingress tls`,
          'invalid-value',
        );
      }
      if (!isTlsProtocol(l.port.protocol)) {
        fail(ctx, ['tls'], 'tls settings need the port protocol to be HTTPS or TLS', 'conflicting-fields');
      }
    }
  });

export const egressListener = z
  .strictObject({
    port: sidecarPort.optional(),
    bind: z.string().optional(),
    captureMode: captureMode.optional(),
    hosts: z.array(sidecarHost).min(1, 'an egress listener needs at least one host, such as "*/*" or "./*"'),
  })
  .superRefine((l, ctx) => {
    if (!l.port) return;
    if (l.port.targetPort)
      fail(ctx, ['port', 'targetPort'], 'targetPort has no effect on a Sidecar; remove it', 'invalid-value');
    if (l.port.number === 0) {
      // Port 0 means a listener on a unix domain socket.
      if (!l.bind?.startsWith(UNIX_PREFIX)) {
        fail(
          ctx,
          ['bind'],
          'an egress listener with port number 0 must bind to a unix socket ("unix://path")',
          'missing-field',
        );
      }
      if (l.captureMode && l.captureMode !== 'DEFAULT' && l.captureMode !== 'NONE') {
        fail(
          ctx,
          ['captureMode'],
          'a unix socket listener takes captureMode DEFAULT or NONE',
          'invalid-value',
        );
      }
      checkBind(l.bind, ctx, ['bind']);
    } else if (l.bind && isIP(l.bind) === 0) {
      fail(ctx, ['bind'], `bind "${l.bind}" must be an IP address`, 'invalid-address');
    }
  });

export const outboundTrafficPolicy = z
  .strictObject({
    mode: z.enum(['REGISTRY_ONLY', 'ALLOW_ANY']).optional(),
    egressProxy: destination.optional(),
  })
  .superRefine((p, ctx) => {
    if (!p.egressProxy) return;
    if ((p.mode ?? 'REGISTRY_ONLY') !== 'ALLOW_ANY') {
      fail(ctx, ['egressProxy'], 'egressProxy only applies with mode ALLOW_ANY', 'conflicting-fields');
    }
    const problem = fqdnProblem(p.egressProxy.host);
    if (problem) fail(ctx, ['egressProxy', 'host'], problem, 'invalid-host');
    if (!p.egressProxy.port) fail(ctx, ['egressProxy', 'port'], 'egressProxy needs a port', 'missing-field');
  });

export const sidecarSpec = z
  .strictObject({
    workloadSelector: labelSelector.optional(),
    ingress: z.array(ingressListener).optional(),
    egress: z.array(egressListener).optional(),
    outboundTrafficPolicy: outboundTrafficPolicy.optional(),
    inboundConnectionPool: connectionPoolSettings.optional(),
  })
  .superRefine(
    tolerant((spec, ctx) => {
      if (
        !spec.ingress?.length &&
        !spec.egress?.length &&
        !spec.outboundTrafficPolicy &&
        !spec.inboundConnectionPool
      ) {
        fail(
          ctx,
          [],
          'a Sidecar needs at least one of ingress, egress, outboundTrafficPolicy or inboundConnectionPool',
          'missing-field',
        );
      }
      const ingressPorts = new Map<number, number>();
      (spec.ingress ?? []).forEach((l, i) => {
        const first = ingressPorts.get(l.port.number);
        if (first !== undefined) {
          fail(
            ctx,
            ['ingress', i, 'port', 'number'],
            `port ${l.port.number} is already used by ingress[${first}]`,
            'duplicate-port',
          );
        } else ingressPorts.set(l.port.number, i);
      });
      const egress = spec.egress ?? [];
      const egressPorts = new Map<number, number>();
      const sockets = new Map<string, number>();
      egress.forEach((l, i) => {
        if (!l.port) {
          // The catch-all listener (no port) must be the only one, and the last.
          if (i !== egress.length - 1) {
            fail(
              ctx,
              ['egress', i],
              'the egress listener without a port catches everything else, so it must be the last one',
              'invalid-value',
            );
          }
          return;
        }
        if (l.port.number === 0) {
          const first = sockets.get(l.bind ?? '');
          if (first !== undefined)
            fail(
              ctx,
              ['egress', i, 'bind'],
              `this unix socket is already used by egress[${first}]`,
              'duplicate-port',
            );
          else sockets.set(l.bind ?? '', i);
          return;
        }
        const first = egressPorts.get(l.port.number);
        if (first !== undefined) {
          fail(
            ctx,
            ['egress', i, 'port', 'number'],
            `port ${l.port.number} is already used by egress[${first}]`,
            'duplicate-port',
          );
        } else egressPorts.set(l.port.number, i);
      });
    }),
    EVERY_ISSUE,
  );

export type SidecarSpec = z.output<typeof sidecarSpec>;
export type Sidecar = Resource<'Sidecar', { spec: SidecarSpec }>;
