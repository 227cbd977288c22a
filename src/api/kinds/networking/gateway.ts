// networking.istio.io Gateway: the servers (port, protocol, hosts, TLS) a gateway workload exposes.
import { fail, labels, nonNegativeInt, portNumber, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { gatewayHost } from './hosts.ts';

const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'TCP', 'TLS'] as const;

export const serverTLSSettings = z
  .strictObject({
    httpsRedirect: z.boolean().optional(),
    mode: z
      .enum(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'])
      .optional(),
    serverCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
    caCrl: z.string().optional(),
    credentialName: z.string().optional(),
    credentialNames: z.array(z.string()).optional(),
    tlsCertificates: z
      .array(
        z.strictObject({
          serverCertificate: z.string().optional(),
          privateKey: z.string().optional(),
          caCertificates: z.string().optional(),
        }),
      )
      .optional(),
    subjectAltNames: z.array(z.string()).optional(),
    verifyCertificateSpki: z.array(z.string()).optional(),
    verifyCertificateHash: z.array(z.string()).optional(),
    minProtocolVersion: z.enum(['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3']).optional(),
    maxProtocolVersion: z.enum(['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3']).optional(),
    cipherSuites: z.array(z.string()).optional(),
  })
  .superRefine((tls, ctx) => {
    const mode = tls.mode ?? 'PASSTHROUGH';
    const hasFiles = tls.serverCertificate !== undefined || tls.privateKey !== undefined;
    const hasCredential = tls.credentialName !== undefined || (tls.credentialNames?.length ?? 0) > 0;
    if (
      (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') &&
      !hasCredential &&
      !hasFiles &&
      !tls.tlsCertificates
    ) {
      fail(
        ctx,
        ['mode'],
        `TLS mode ${mode} needs a certificate: set credentialName, or serverCertificate and privateKey`,
        'missing-field',
      );
    }
    if (hasFiles && (tls.serverCertificate === undefined || tls.privateKey === undefined)) {
      fail(
        ctx,
        [tls.serverCertificate === undefined ? 'privateKey' : 'serverCertificate'],
        'serverCertificate and privateKey go together',
        'missing-field',
      );
    }
  });

export const server = z
  .strictObject({
    port: z.strictObject({
      number: portNumber,
      protocol: z.string().superRefine((p, ctx) => {
        const upper = p.toUpperCase();
        if (!PROTOCOLS.includes(upper as (typeof PROTOCOLS)[number])) {
          fail(ctx, [], `unknown protocol "${p}"`, 'invalid-value', `use one of ${PROTOCOLS.join(', ')}`);
        }
      }),
      name: z.string().optional(),
      targetPort: nonNegativeInt.optional(),
    }),
    bind: z.string().optional(),
    hosts: z.array(gatewayHost).min(1, 'a server needs at least one host ("*" for any)'),
    tls: serverTLSSettings.optional(),
    defaultEndpoint: z.string().optional(),
    name: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    const proto = s.port.protocol.toUpperCase();
    if ((proto === 'HTTPS' || proto === 'TLS') && !s.tls) {
      fail(ctx, ['tls'], `a server with protocol ${proto} needs tls settings`, 'missing-field');
    }
  });

export const gatewaySpec = z
  .strictObject({
    servers: z.array(server).min(1, 'a Gateway needs at least one server'),
    selector: labels.optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.servers.forEach((s, i) => {
      if (s.name === undefined) return;
      const first = seen.get(s.name);
      if (first !== undefined)
        fail(
          ctx,
          ['servers', i, 'name'],
          `server name "${s.name}" is already used by servers[${first}]`,
          'duplicate-name',
        );
      else seen.set(s.name, i);
    });
  });

export type GatewaySpec = z.output<typeof gatewaySpec>;
export type Gateway = Resource<'Gateway', { spec: GatewaySpec }>;
