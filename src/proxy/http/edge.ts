// Request header sanitising at the connection manager: hop-by-hop headers, x-forwarded-for and
// -proto, x-request-id, and x-envoy-* headers from untrusted (external) clients.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList } from 'node:net';
import type { Cidr, HcmConfig } from '../xds/decode/hcm.ts';

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
];

/** Removes hop-by-hop headers, including those the Connection header nominates; keeps `te: trailers`. */
export function stripHopByHop(headers: IncomingHttpHeaders | Record<string, unknown>): void {
  const connection = headers.connection;
  if (typeof connection === 'string')
    for (const token of connection.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && t !== 'close' && t !== 'keep-alive') delete headers[t];
    }
  for (const h of HOP_BY_HOP) if (headers[h] !== undefined) delete headers[h];
  const te = headers.te;
  if (te !== undefined) {
    if (typeof te === 'string' && te.split(',').some((t) => t.trim().toLowerCase() === 'trailers'))
      headers.te = 'trailers';
    else delete headers.te;
  }
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
