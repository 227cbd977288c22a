// networking.istio.io Gateway: the servers (port, protocol, hosts, TLS) a gateway workload exposes.
import { fail, labels, nonNegativeInt, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import {
  EVERY_ISSUE,
  isHttpProtocol,
  isTlsProtocol,
  protocol,
  tolerant,
  UNIX_PREFIX,
  unixPathProblem,
} from './common.ts';
import { gatewayHost, isIpAddress } from './hosts.ts';

const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const;

const serverTLSShape = z.strictObject({
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
  minProtocolVersion: z.enum(TLS_VERSIONS).optional(),
  maxProtocolVersion: z.enum(TLS_VERSIONS).optional(),
  cipherSuites: z.array(z.string()).optional(),
});
type ServerTLSInput = z.output<typeof serverTLSShape>;

function checkServerTLS(tls: ServerTLSInput, ctx: z.RefinementCtx): void {
  const mode = tls.mode ?? 'PASSTHROUGH';
  if (mode === 'ISTIO_MUTUAL') {
    // Istio's own certificates are used; any other certificate source is a mistake.
    const own = (
      [
        'serverCertificate',
        'privateKey',
        'caCertificates',
        'tlsCertificates',
        'credentialName',
        'credentialNames',
      ] as const
    ).filter((k) => tls[k] !== undefined && tls[k] !== '');
    for (const k of own) {
      fail(
        ctx,
        [k],
        `TLS mode ISTIO_MUTUAL uses the mesh's certificates, so "${k}" cannot be set`,
        'conflicting-fields',
      );
    }
    return;
  }
  const sources = [
    tls.serverCertificate && tls.privateKey ? 'serverCertificate/privateKey' : undefined,
    tls.credentialName ? 'credentialName' : undefined,
    tls.credentialNames?.length ? 'credentialNames' : undefined,
    tls.tlsCertificates?.length ? 'tlsCertificates' : undefined,
  ].filter((s) => s !== undefined);
  if (sources.length > 1) {
    fail(
      ctx,
      [],
      `give the certificate in one way only, not with ${sources.join(' and ')}`,
      'conflicting-fields',
    );
  }
  if (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') {
    const mutual = mode !== 'SIMPLE';
    if (!tls.credentialName && !tls.credentialNames?.length) {
      const certs = tls.tlsCertificates?.length ? tls.tlsCertificates : [tls];
      if (!certs.some((c) => c.serverCertificate) || !certs.some((c) => c.privateKey)) {
        fail(
          ctx,
          ['mode'],
          `TLS mode ${mode} needs a certificate: set credentialName, or serverCertificate and privateKey`,
          'missing-field',
        );
      }
      if (mutual && !tls.caCertificates) {
        fail(
          ctx,
          ['caCertificates'],
          `TLS mode ${mode} needs caCertificates to verify clients (or a credentialName)`,
          'missing-field',
        );
      }
    }
  }
  if (tls.caCrl && tls.credentialName) {
    fail(
      ctx,
      ['caCrl'],
      'with credentialName, the CRL comes from the credential: remove caCrl',
      'conflicting-fields',
    );
  } else if (tls.caCrl && mode === 'SIMPLE') {
    fail(
      ctx,
      ['caCrl'],
      'caCrl checks client certificates, which SIMPLE TLS does not ask for',
      'conflicting-fields',
    );
  }
}

export const serverTLSSettings = serverTLSShape.superRefine(checkServerTLS);

/** The `bind` address of a listener: an IP address or "unix://path". */
export function checkBind(bind: string | undefined, ctx: z.RefinementCtx, path: (string | number)[]): void {
  if (!bind) return;
  if (bind.startsWith(UNIX_PREFIX)) {
    const problem = unixPathProblem(bind.slice(UNIX_PREFIX.length));
    if (problem) fail(ctx, path, problem, 'invalid-address');
  } else if (!isIpAddress(bind)) {
    fail(ctx, path, `bind "${bind}" must be an IP address or "unix://path"`, 'invalid-address');
  }
}

export const gatewayPort = z.strictObject({
  number: nonNegativeInt.max(65535, 'port number must be at most 65535'),
  protocol,
  name: z
    .string({ error: 'a Gateway server port needs a name, such as "http"' })
    .min(1, 'a Gateway server port needs a name'),
  targetPort: nonNegativeInt.optional(),
});

export const server = z
  .strictObject({
    port: gatewayPort,
    bind: z.string().optional(),
    hosts: z.array(gatewayHost).min(1, 'a server needs at least one host ("*" for any)'),
    tls: serverTLSSettings.optional(),
    defaultEndpoint: z.string().optional(),
    name: z.string().optional(),
  })
  .superRefine(
    tolerant((s, ctx) => {
      const unix = s.bind?.startsWith(UNIX_PREFIX) ?? false;
      if (unix && s.port.number !== 0) {
        fail(
          ctx,
          ['port', 'number'],
          'a server bound to a unix socket must have port number 0',
          'invalid-port',
        );
      } else if (!unix && s.port.number === 0) {
        fail(ctx, ['port', 'number'], 'port number must be between 1 and 65535', 'invalid-port');
      }
      if (s.port.targetPort) {
        fail(
          ctx,
          ['port', 'targetPort'],
          'targetPort has no effect on a Gateway; remove it',
          'invalid-value',
        );
      }
      checkBind(s.bind, ctx, ['bind']);
      const proto = s.port.protocol;
      if (isTlsProtocol(proto) && !s.tls) {
        fail(ctx, ['tls'], `a server with protocol ${proto} needs tls settings`, 'missing-field');
      } else if (!isTlsProtocol(proto) && s.tls) {
        const redirectOnly =
          isHttpProtocol(proto) &&
          (s.tls.mode ?? 'PASSTHROUGH') === 'PASSTHROUGH' &&
          !s.tls.caCertificates &&
          !s.tls.privateKey &&
          !s.tls.serverCertificate;
        if (!redirectOnly) {
          fail(
            ctx,
            ['tls'],
            `a server with protocol ${proto} cannot have TLS settings (only httpsRedirect on HTTP servers)`,
            'conflicting-fields',
            'use protocol HTTPS or TLS for a TLS server',
          );
        }
      }
    }),
    EVERY_ISSUE,
  );

export const gatewaySpec = z
  .strictObject({
    servers: z.array(server).min(1, 'a Gateway needs at least one server'),
    selector: labels.optional(),
  })
  .superRefine(
    tolerant((spec, ctx) => {
      const seen = new Map<string, number>();
      spec.servers.forEach((s, i) => {
        const name = s.port.name;
        const first = seen.get(name);
        if (first !== undefined)
          fail(
            ctx,
            ['servers', i, 'port', 'name'],
            `port name "${name}" is already used by servers[${first}]; each server's port needs its own name`,
            'duplicate-name',
          );
        else seen.set(name, i);
      });
    }),
    EVERY_ISSUE,
  );

export type ServerTLSSettings = z.output<typeof serverTLSSettings>;
export type Server = z.output<typeof server>;
export type GatewaySpec = z.output<typeof gatewaySpec>;
export type Gateway = Resource<'Gateway', { spec: GatewaySpec }>;
