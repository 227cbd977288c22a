// Host names as Istio checks them: FQDNs or short names, with "*" allowed only as the whole
// leftmost label; Gateway hosts may carry a "namespace/" prefix.
import { fail, z } from '../../schema/primitives.ts';

const LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** Why `host` is not a valid (possibly wildcard) host name, or undefined when it is. */
export function hostProblem(host: string, allowWildcard = true): string | undefined {
  if (host === '') return 'host must not be empty';
  if (host === '*') return allowWildcard ? undefined : 'wildcard "*" is not allowed here';
  if (host.length > 255) return `host "${host}" is longer than 255 characters`;
  const labels = host.split('.');
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === '*' && i === 0) {
      if (!allowWildcard) return 'wildcard hosts are not allowed here';
      continue;
    }
    if (l.includes('*'))
      return `host "${host}": "*" may only be the whole leftmost label, as in "*.example.com"`;
    if (l === '' && i === labels.length - 1 && i > 0) continue; // trailing dot of an FQDN
    if (!LABEL.test(l) || l.length > 63) {
      return `host "${host}" is not a valid DNS name: "${l}" must be letters, digits and "-", at most 63 characters`;
    }
  }
  return undefined;
}

export function host(options: { wildcard?: boolean } = {}) {
  return z.string().superRefine((h, ctx) => {
    const problem = hostProblem(h, options.wildcard ?? true);
    if (problem) fail(ctx, [], problem, 'invalid-host');
  });
}

/** A Gateway server host: `[namespace/]host`, where namespace may be "*" or ".". */
export const gatewayHost = z.string().superRefine((h, ctx) => {
  const parts = h.split('/');
  if (parts.length > 2) {
    fail(ctx, [], `host "${h}" must be "host" or "namespace/host"`, 'invalid-host');
    return;
  }
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const ns = parts.length === 2 ? parts[0]! : undefined;
  if (ns !== undefined && ns !== '*' && ns !== '.' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) {
    fail(ctx, [], `host "${h}": "${ns}" is not a namespace name, "*" or "."`, 'invalid-host');
  }
  const problem = hostProblem(name, true);
  if (problem) fail(ctx, [], problem, 'invalid-host');
});
