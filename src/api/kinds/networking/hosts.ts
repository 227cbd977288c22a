// Host names as Istio checks them: lower-case DNS names whose leftmost label may be a wildcard
// ("*", "*.example.com"), IP addresses where a kind allows them, and the "namespace/host" form of
// Gateway servers and Sidecar egress listeners.
import { isIP } from 'node:net';
import { DNS1123_LABEL, fail, z } from '../../schema/primitives.ts';

const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

function labelProblem(host: string, label: string): string | undefined {
  if (label.length <= 63 && DNS1123_LABEL.test(label)) return undefined;
  if (label.includes('*')) return `host "${host}": "*" may only be the leftmost label, as in "*.example.com"`;
  if (label === '') return `host "${host}" has an empty label (two dots in a row, or a leading dot)`;
  if (label !== label.toLowerCase() && DNS1123_LABEL.test(label.toLowerCase())) {
    return `host "${host}" must be lower case ("${host.toLowerCase()}")`;
  }
  return `host "${host}" is not a valid DNS name: "${label}" must be at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit`;
}

/** Why `host` is not a DNS name (no wildcard), or undefined when it is. */
export function fqdnProblem(host: string): string | undefined {
  if (host === '') return 'host must not be empty';
  if (host.length > 255) return `host "${host}" is longer than 255 characters`;
  const labels = host.split('.');
  const last = labels[labels.length - 1]!;
  if (/^\d+$/.test(last)) {
    return `host "${host}" is not a valid DNS name: its last label "${last}" cannot be all digits`;
  }
  for (let i = 0; i < labels.length; i++) {
    // A trailing dot ("istio.io.") is allowed.
    if (i === labels.length - 1 && i > 0 && labels[i] === '') break;
    const problem = labelProblem(host, labels[i]!);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Why `host` is not a valid, possibly wildcard, host name, or undefined when it is. The leftmost
 * label may be "*" (or, as Istio allows, "*foo"); `allowWildcard: false` refuses any "*".
 */
export function hostProblem(host: string, allowWildcard = true): string | undefined {
  if (host === '') return 'host must not be empty';
  if (host.length > 255) return `host "${host}" is longer than 255 characters`;
  const dot = host.indexOf('.');
  const first = dot < 0 ? host : host.slice(0, dot);
  if (first.includes('*')) {
    if (!allowWildcard) return `host "${host}": wildcard hosts are not allowed here`;
    if (!WILDCARD_LABEL.test(first)) return labelProblem(host, first);
    return dot < 0 ? undefined : fqdnProblem(host.slice(dot + 1));
  }
  return fqdnProblem(host);
}

/** A host name, optionally allowing wildcards and IP addresses. */
export function host(options: { wildcard?: boolean; ip?: boolean } = {}) {
  return z.string().superRefine((h, ctx) => {
    if (options.ip && isIpAddress(h)) return;
    const problem = hostProblem(h, options.wildcard ?? true);
    if (problem) fail(ctx, [], problem, 'invalid-host');
  });
}

/** The host part of "namespace/host" in Gateway servers and Sidecar egress listeners. */
function namespacedHostPartProblem(name: string, isGateway: boolean): string | undefined {
  if (isGateway && isIpAddress(name)) return undefined;
  const problem = hostProblem(name, true);
  if (problem) return problem;
  if (name !== '*' && name.includes('*') && !name.startsWith('*.')) {
    return `host "${name}": a partial wildcard is not allowed here; use "*" alone or "*.domain"`;
  }
  return undefined;
}

/** Gateway and Sidecar hosts must be fully qualified: "reviews" alone is refused. */
function shortNameHint(name: string, ns: string | undefined, isGateway: boolean): string {
  if (isGateway) return `use the full domain name clients ask for, such as "${name}.example.com", or "*"`;
  const namespace = ns && ns !== '*' && ns !== '.' && ns !== '~' ? ns : undefined;
  return namespace
    ? `write "${ns}/${name}.${namespace}.svc.cluster.local"`
    : `write "${ns}/${name}.<namespace>.svc.cluster.local", with the service's namespace`;
}

function checkHostPart(ctx: z.RefinementCtx, name: string, ns: string | undefined, isGateway: boolean): void {
  const problem = namespacedHostPartProblem(name, isGateway);
  if (problem) {
    fail(ctx, [], problem, 'invalid-host');
  } else if (name !== '*' && !name.includes('.') && !isIpAddress(name)) {
    fail(
      ctx,
      [],
      `"${name}" is a short name; ${isGateway ? 'Gateway' : 'Sidecar'} hosts need a fully qualified name`,
      'invalid-host',
      shortNameHint(name, ns, isGateway),
    );
  }
}

function namespacedHost(isGateway: boolean) {
  const kind = isGateway ? 'Gateway' : 'Sidecar';
  const namespaces = isGateway ? '"*", "."' : '"*", ".", "~"';
  return z.string().superRefine((h, ctx) => {
    const slash = h.indexOf('/');
    if (slash < 0) {
      if (isGateway) checkHostPart(ctx, h, undefined, true);
      else {
        fail(
          ctx,
          [],
          `host "${h}" must be written as "namespace/host"`,
          'invalid-host',
          `write "*/${h}" for "${h}" in any namespace, or "./${h}" for the Sidecar's own namespace`,
        );
      }
      return;
    }
    const ns = h.slice(0, slash);
    const name = h.slice(slash + 1);
    if (ns === '' || name === '') {
      fail(ctx, [], `host "${h}": neither the namespace nor the host may be empty`, 'invalid-host');
      return;
    }
    const special = ns === '*' || ns === '.' || (!isGateway && ns === '~');
    if (!special && !(ns.length <= 63 && DNS1123_LABEL.test(ns))) {
      fail(
        ctx,
        [],
        `host "${h}": "${ns}" is not a namespace name; a ${kind} host's namespace may be a namespace name or one of ${namespaces}`,
        'invalid-host',
      );
    }
    checkHostPart(ctx, name, ns, isGateway);
  });
}

/** A Gateway server host: `[namespace/]host`, where namespace may be "*" or "."; host may be an IP. */
export const gatewayHost = namespacedHost(true);

/** A Sidecar egress host: `namespace/host`, where namespace may be "*", "." or "~". */
export const sidecarHost = namespacedHost(false);

/** Whether two (possibly wildcard) hosts can name the same service: "*.a.com" and "b.a.com". */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const covers = (wild: string, other: string) =>
    wild === '*' || (wild.startsWith('*') && other.endsWith(wild.slice(1)));
  return covers(a, b) || covers(b, a);
}
