// Request header sanitising at the connection manager: hop-by-hop headers, x-forwarded-for and
// -proto, x-request-id, and x-envoy-* headers from untrusted (external) clients.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList } from 'node:net';
import type { Cidr, HcmConfig } from '../xds/decode/hcm.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** The names a Connection header nominates as hop-by-hop, beyond the usual close and keep-alive. */
function nominated(connection: unknown): Set<string> | undefined {
  if (typeof connection !== 'string' || connection === 'keep-alive' || connection === 'close')
    return undefined;
  let names: Set<string> | undefined;
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t && t !== 'close' && t !== 'keep-alive') (names ??= new Set()).add(t);
  }
  return names;
}

/**
 * The end-to-end headers, as a new object: without the hop-by-hop ones (those above and those the
 * Connection header names), `te` kept only as `te: trailers`, and without the names in `drop`.
 * Building a new object, rather than deleting from the old one, keeps it in V8's fast mode for
 * everything that reads it afterwards (header serialisation).
 */
export function endToEndHeaders<V>(
  headers: Readonly<Record<string, V | undefined>>,
  drop?: ReadonlySet<string>,
): Record<string, V | string> {
  const skip = nominated(headers.connection);
  const out: Record<string, V | string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop?.has(name) || skip?.has(name)) continue;
    if (name === 'te') {
      if (typeof value === 'string' && value.split(',').some((t) => t.trim().toLowerCase() === 'trailers'))
        out.te = 'trailers';
      continue;
    }
    out[name] = value;
  }
  return out;
}

export function internalAddresses(cidrs: readonly Cidr[] | undefined): BlockList {
  const list = new BlockList();
  for (const c of cidrs ?? []) list.addSubnet(c.prefix, c.length, c.prefix.includes(':') ? 'ipv6' : 'ipv4');
  return list;
}

function isInternal(list: BlockList, address: string): boolean {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return list.check(plain, plain.includes(':') ? 'ipv6' : 'ipv4');
}

/**
 * Envoy's connection-manager header rules. Returns whether the request counts as internal.
 * `remote` is the downstream peer address; `scheme` the downstream protocol scheme.
 */
export function sanitizeRequest(
  config: HcmConfig,
  internal: BlockList,
  headers: IncomingHttpHeaders,
  remote: string,
  scheme: string,
): boolean {
  let trusted: boolean;
  if (config.useRemoteAddress) {
    // Edge: the peer is the client. Its x-envoy-* headers cannot be trusted unless it is internal.
    trusted = isInternal(internal, remote);
    if (!config.skipXffAppend) {
      const xff = headers['x-forwarded-for'];
      headers['x-forwarded-for'] = xff ? `${xff},${remote}` : remote;
    }
    headers['x-forwarded-proto'] = scheme;
    if (!trusted) {
      for (const name of Object.keys(headers)) if (name.startsWith('x-envoy-')) delete headers[name];
      headers['x-envoy-external-address'] = remote;
    } else headers['x-envoy-internal'] = 'true';
  } else {
    trusted = true;
    if (headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = scheme;
  }
  if (config.generateRequestId) {
    const id = headers['x-request-id'];
    if (!id || (config.useRemoteAddress && !trusted && !config.preserveExternalRequestId))
      headers['x-request-id'] = randomUUID();
  }
  return trusted;
}
