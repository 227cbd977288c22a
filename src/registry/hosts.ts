// Host names in Istio's form: short names resolve relative to the namespace of the rule (or
// proxy) that wrote them; anything with a dot, and wildcards, is taken as written.

export const DEFAULT_DOMAIN = 'cluster.local';

/** `reviews` written in namespace `default` → `reviews.default.svc.cluster.local`. */
export function resolveHost(host: string, namespace: string, domain = DEFAULT_DOMAIN): string {
  if (host === '*' || host.startsWith('*') || host.includes('.')) return host.toLowerCase();
  return `${host}.${namespace}.svc.${domain}`.toLowerCase();
}

/** The Kubernetes Service FQDN of `name` in `namespace`. */
export function serviceHost(name: string, namespace: string, domain = DEFAULT_DOMAIN): string {
  return `${name}.${namespace}.svc.${domain}`;
}

/** Istio's host matching: `*.example.com` matches `a.example.com` and `*.a.example.com`; `*` matches all. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  if (pattern.startsWith('*')) {
    const suffix = pattern.slice(1);
    if (host.startsWith('*')) return host.slice(1).endsWith(suffix);
    return host.endsWith(suffix);
  }
  return false;
}

/** True when the two (possibly wildcard) hosts share at least one concrete name. */
export function hostsIntersect(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

/** The more specific of two intersecting hosts (the one a request must actually carry). */
export function narrowerHost(a: string, b: string): string {
  return hostMatches(a, b) ? b : a;
}

/** Labels `selector` (all of them) present with equal values in `labels`. */
export function selectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}
