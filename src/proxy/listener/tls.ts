// TLS transport sockets. DownstreamTlsContext terminates TLS on a filter chain; UpstreamTlsContext
// originates (m)TLS to a cluster's hosts. Certificates and CAs come inline, from files, or from SDS
// secrets (by name, over ADS); a chain whose secret has not arrived yet refuses connections, as
// Envoy's warming listener does, and an upstream connection without its secret fails (503 UF).
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Obj } from '../xds/decode/read.ts';
import { Reader, obj, objs, str, strs, wrappedBool } from '../xds/decode/read.ts';

export const DOWNSTREAM_TLS_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** CommonTlsContext: what both directions hold (certificate, trusted CA, ALPN), inline or by SDS name. */
export interface CommonTls {
  /** Inline or file certificate and key. */
  readonly certificate: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** Name of the SDS secret holding the certificate. */
  readonly certificateSecret: string | undefined;
  readonly ca: Buffer | undefined;
  /** Name of the SDS secret holding the validation context (trusted CA). */
  readonly caSecret: string | undefined;
  readonly alpn: readonly string[];
}

export interface DownstreamTls extends CommonTls {
  readonly requireClientCertificate: boolean;
}

/** A decoded SDS Secret: a certificate with its key, and/or a trusted CA. */
export interface SecretConfig {
  readonly name: string;
  readonly certificate: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly ca: Buffer | undefined;
  readonly raw: Obj;
}

/** envoy.config.core.v3.DataSource → its bytes (inline or a file read now, so a bad path NACKs). */
function dataSource(r: Reader, o: Obj | undefined, path: string): Buffer | undefined {
  if (!o) return undefined;
  const inline = str(o, 'inlineString');
  if (inline !== undefined) return Buffer.from(inline);
  if (o.inlineBytes !== undefined) return Buffer.from(o.inlineBytes as Uint8Array);
  const file = str(o, 'filename');
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    return r.fail(path, `cannot read ${file}: ${(e as Error).message}`);
  }
}

function certificate(r: Reader, c: Obj, path: string): { cert: Buffer; key: Buffer } {
  const cert = dataSource(r, obj(c, 'certificateChain'), `${path}.certificate_chain`);
  const key = dataSource(r, obj(c, 'privateKey'), `${path}.private_key`);
  if (!cert || !key) return r.fail(path, 'needs certificate_chain and private_key');
  try {
    // Built once here so that a certificate that does not match its key is refused at the boundary.
    tls.createSecureContext({ cert, key });
  } catch (e) {
    return r.fail(path, `unusable certificate or key: ${(e as Error).message}`);
  }
  return { cert, key };
}

/** The common_tls_context of a TLS context, with its validation context (for SAN matchers). */
function decodeCommonTls(
  r: Reader,
  tc: Obj,
  path: string,
): { common: CommonTls; validation: Obj | undefined; path: string } {
  const common = obj(tc, 'commonTlsContext') ?? {};
  const p = `${path}.common_tls_context`;
  const certs = objs(common, 'tlsCertificates');
  const combined = obj(common, 'combinedValidationContext');
  const validation =
    obj(common, 'validationContext') ?? (combined && obj(combined, 'defaultValidationContext'));
  const caSds =
    obj(common, 'validationContextSdsSecretConfig') ??
    (combined && obj(combined, 'validationContextSdsSecretConfig'));
  return {
    common: {
      certificate: certs[0] ? certificate(r, certs[0], `${p}.tls_certificates[0]`) : undefined,
      certificateSecret: str(objs(common, 'tlsCertificateSdsSecretConfigs')[0] ?? {}, 'name'),
      ca: validation
        ? dataSource(r, obj(validation, 'trustedCa'), `${p}.validation_context.trusted_ca`)
        : undefined,
      caSecret: caSds && str(caSds, 'name'),
      alpn: strs(common, 'alpnProtocols'),
    },
    validation,
    path: p,
  };
}

export function decodeDownstreamTls(r: Reader, tc: Obj, path: string): DownstreamTls {
  const { common, path: p } = decodeCommonTls(r, tc, path);
  if (!common.certificate && !common.certificateSecret)
    r.fail(p, 'needs tls_certificates or tls_certificate_sds_secret_configs');
  return { ...common, requireClientCertificate: wrappedBool(tc, 'requireClientCertificate') ?? false };
}

export function decodeSecret(raw: Obj, resourceName?: string): SecretConfig {
  const name = str(raw, 'name') ?? resourceName ?? '';
  const r = new Reader(`Secret ${name}`);
  const tc = obj(raw, 'tlsCertificate');
  const vc = obj(raw, 'validationContext');
  const ca = vc ? dataSource(r, obj(vc, 'trustedCa'), 'validation_context.trusted_ca') : undefined;
  if (ca) {
    try {
      tls.createSecureContext({ ca });
    } catch (e) {
      r.fail('validation_context.trusted_ca', `unusable CA: ${(e as Error).message}`);
    }
  }
  return { name, certificate: tc ? certificate(r, tc, 'tls_certificate') : undefined, ca, raw };
}

/** The SDS secret names a TLS context waits for. */
export function secretNames(config: CommonTls): string[] {
  return [config.certificateSecret, config.caSecret].filter((n): n is string => n !== undefined);
}

/** A context's certificate and CA, inline or from their SDS secrets (undefined while one has not arrived). */
function resolveSecrets(
  config: CommonTls,
  secrets: (name: string) => SecretConfig | undefined,
): { certificate: CommonTls['certificate']; ca: Buffer | undefined } {
  return {
    certificate:
      config.certificate ??
      (config.certificateSecret ? secrets(config.certificateSecret)?.certificate : undefined),
    ca: config.ca ?? (config.caSecret ? secrets(config.caSecret)?.ca : undefined),
  };
}

/**
 * A TLS server used only for handshakes: accepted sockets are handed to it, and `onSecure` gets
 * each established TLS connection (bytes read earlier by inspection are replayed by node).
 * Returns undefined while a secret it needs is missing.
 */
export function tlsTerminator(
  config: DownstreamTls,
  secrets: (name: string) => SecretConfig | undefined,
  onSecure: (socket: tls.TLSSocket) => void,
): tls.Server | undefined {
  const { certificate, ca } = resolveSecrets(config, secrets);
  if (!certificate || (config.caSecret && !ca)) return undefined;
  const server = tls.createServer(
    {
      cert: certificate.cert,
      key: certificate.key,
      ca,
      ALPNProtocols: config.alpn.length ? [...config.alpn] : undefined,
      requestCert: config.requireClientCertificate,
      rejectUnauthorized: config.requireClientCertificate,
    },
    onSecure,
  );
  server.on('tlsClientError', (_e, socket) => socket.destroy());
  return server;
}

export const UPSTREAM_TLS_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** UpstreamTlsContext: TLS (and mTLS with a client certificate) from this proxy to its upstreams. */
export interface UpstreamTls extends CommonTls {
  /** Subject alt names the server certificate must carry one of (any when empty). */
  readonly sans: readonly { readonly type: string; readonly test: (v: string) => boolean }[];
  readonly sni: string | undefined;
}

export function decodeUpstreamTls(
  r: Reader,
  tc: Obj,
  path: string,
  matcher: (r: Reader, m: Obj, path: string) => (v: string) => boolean,
): UpstreamTls {
  const { common, validation, path: p } = decodeCommonTls(r, tc, path);
  const sans = validation
    ? [
        ...objs(validation, 'matchTypedSubjectAltNames').map((s, i) => ({
          type: str(s, 'sanType') ?? 'URI',
          test: matcher(
            r,
            obj(s, 'matcher') ?? {},
            `${p}.validation_context.match_typed_subject_alt_names[${i}].matcher`,
          ),
        })),
        ...objs(validation, 'matchSubjectAltNames').map((m, i) => ({
          type: '*',
          test: matcher(r, m, `${p}.validation_context.match_subject_alt_names[${i}]`),
        })),
      ]
    : [];
  return { ...common, sans, sni: str(tc, 'sni') || undefined };
}

const SAN_PREFIX: Record<string, string> = {
  URI: 'URI:',
  DNS: 'DNS:',
  EMAIL: 'email:',
  IP_ADDRESS: 'IP Address:',
};

/**
 * Options for tls.connect over an established TCP socket, or the reason TLS cannot start yet
 * (a secret that has not arrived).
 */
export function upstreamTlsOptions(
  config: UpstreamTls,
  secrets: (name: string) => SecretConfig | undefined,
): tls.ConnectionOptions | string {
  const { certificate, ca } = resolveSecrets(config, secrets);
  if (config.certificateSecret && !certificate) return `secret ${config.certificateSecret} has not arrived`;
  if (config.caSecret && !ca) return `secret ${config.caSecret} has not arrived`;
  return {
    cert: certificate?.cert,
    key: certificate?.key,
    ca,
    // Without a validation context Envoy does not verify the server certificate.
    rejectUnauthorized: ca !== undefined,
    servername: config.sni,
    ALPNProtocols: config.alpn.length ? [...config.alpn] : undefined,
    checkServerIdentity: (_host, peer) => {
      if (config.sans.length === 0) return undefined;
      const names = (peer.subjectaltname ?? '').split(', ');
      const ok = config.sans.some((s) =>
        names.some((n) =>
          s.type === '*'
            ? s.test(n.slice(n.indexOf(':') + 1))
            : n.startsWith(SAN_PREFIX[s.type] ?? '') && s.test(n.slice((SAN_PREFIX[s.type] ?? '').length)),
        ),
      );
      return ok
        ? undefined
        : new Error(`certificate subject alt names ${peer.subjectaltname ?? '(none)'} do not match`);
    },
  };
}
