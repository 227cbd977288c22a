// Route hash policies (header, cookie, source IP, query parameter) feeding ring hash and maglev.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Obj, Reader } from '../xds/decode/read.ts';
import { bool, durationMs, obj, str } from '../xds/decode/read.ts';
import { combineHash, hash32 } from './hash.ts';

export type HashPolicy =
  | { readonly kind: 'header'; readonly name: string; readonly terminal: boolean }
  | {
      readonly kind: 'cookie';
      readonly name: string;
      readonly ttlMs: number | undefined;
      readonly path: string | undefined;
      readonly terminal: boolean;
    }
  | { readonly kind: 'sourceIp'; readonly terminal: boolean }
  | { readonly kind: 'query'; readonly name: string; readonly terminal: boolean };

export function compileHashPolicies(r: Reader, list: readonly Obj[], path: string): HashPolicy[] {
  return list.map((p, i): HashPolicy => {
    const terminal = bool(p, 'terminal') ?? false;
    const header = obj(p, 'header');
    if (header) {
      const name = str(header, 'headerName');
      if (!name) return r.fail(`${path}[${i}].header.header_name`, 'is required');
      return { kind: 'header', name: name.toLowerCase(), terminal };
    }
    const cookie = obj(p, 'cookie');
    if (cookie) {
      const name = str(cookie, 'name');
      if (!name) return r.fail(`${path}[${i}].cookie.name`, 'is required');
      return { kind: 'cookie', name, ttlMs: durationMs(cookie, 'ttl'), path: str(cookie, 'path'), terminal };
    }
    const props = obj(p, 'connectionProperties');
    if (props) return { kind: 'sourceIp', terminal };
    const q = obj(p, 'queryParameter');
    if (q) {
      const name = str(q, 'name');
      if (!name) return r.fail(`${path}[${i}].query_parameter.name`, 'is required');
      return { kind: 'query', name, terminal };
    }
    return r.fail(`${path}[${i}]`, 'needs one of header, cookie, connection_properties, query_parameter');
  });
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface HashInput {
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  readonly query: string;
}

/** The request's hash, or undefined when no policy produced one. `setCookie` receives a generated cookie. */
export function requestHash(
  policies: readonly HashPolicy[],
  input: HashInput,
  setCookie: (cookie: string) => void,
): number | undefined {
  let hash: number | undefined;
  for (const p of policies) {
    let value: string | undefined;
    switch (p.kind) {
      case 'header': {
        const v = input.headers[p.name];
        value = Array.isArray(v) ? v.join(',') : v;
        break;
      }
      case 'cookie': {
        value = cookieValue(input.headers.cookie, p.name);
        if (value === undefined && p.ttlMs !== undefined) {
          // Envoy creates the cookie when it is absent and a ttl is configured.
          value = randomBytes(8).toString('hex');
          const attrs = [`${p.name}="${value}"`];
          if (p.ttlMs > 0) attrs.push(`Max-Age=${Math.floor(p.ttlMs / 1000)}`);
          if (p.path) attrs.push(`Path=${p.path}`);
          attrs.push('HttpOnly');
          setCookie(attrs.join('; '));
        }
        if (value?.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        break;
      }
      case 'sourceIp':
        value = input.remoteAddress || undefined;
        break;
      case 'query':
        value = new URLSearchParams(input.query).get(p.name) ?? undefined;
        break;
    }
    if (value === undefined) continue;
    hash = combineHash(hash, hash32(value));
    if (p.terminal) break;
  }
  return hash;
}
