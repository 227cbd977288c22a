// Host names as Istio's analyzers resolve them: short names are relative to the namespace of the
// resource that names them (reviews in default → reviews.default.svc.cluster.local), and a host is
// found among Kubernetes Services and ServiceEntry hosts visible to that namespace (exportTo),
// ServiceEntry wildcards included.
import type { Service, ServiceEntry } from './model.ts';

export const DOMAIN_SUFFIX = 'svc.cluster.local';
const SERVICE_FQDN = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/;
const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/** The host as an FQDN: a name without dots (and not a wildcard) is a Service in `namespace`. */
export function toFqdn(namespace: string, host: string): string {
  return host.startsWith('*') || host.includes('.') ? host : `${host}.${namespace}.${DOMAIN_SUFFIX}`;
}

/** A key equal for every spelling of one host: "reviews" in default, "reviews.default.svc.cluster.local". */
export function hostKey(namespace: string, host: string): string {
  const fqdn = toFqdn(namespace, host);
  const m = SERVICE_FQDN.exec(fqdn);
  return m ? `${m[1]}.${m[2]}.${DOMAIN_SUFFIX}` : fqdn;
}

/** The Service or ServiceEntry a host resolves to. */
export interface ServiceTarget {
  readonly resource: Service | ServiceEntry;
  readonly host: string;
  readonly namespace: string;
  readonly ports: readonly number[];
  /** Labels of the workloads behind it (a Service's selector, a ServiceEntry's workloadSelector); none when empty. */
  readonly selector?: Readonly<Record<string, string>>;
}

const ALL = '*';

/** An empty selector selects no pods for a Service (its endpoints are managed by hand). */
function selectorOrNone(labels: Readonly<Record<string, string>> | undefined) {
  return labels && Object.keys(labels).length > 0 ? labels : undefined;
}

/** Namespaces a resource is visible in, from its exportTo list ("." is its own namespace). */
function scopes(exportTo: readonly string[] | undefined, namespace: string): string[] {
  if (!exportTo || exportTo.length === 0 || exportTo.includes(ALL)) return [ALL];
  return [...new Set(exportTo.map((e) => (e === '.' ? namespace : e)))];
}

export class ServiceIndex {
  readonly #exact = new Map<string, ServiceTarget>();
  readonly #wildcards: { scope: string; suffix: string; target: ServiceTarget }[] = [];

  constructor(services: readonly Service[], entries: readonly ServiceEntry[]) {
    for (const se of entries) {
      const ns = se.metadata.namespace ?? 'default';
      for (const host of se.spec.hosts) {
        const target: ServiceTarget = {
          resource: se,
          host,
          namespace: ns,
          ports: (se.spec.ports ?? []).map((p) => p.number),
          selector: selectorOrNone(se.spec.workloadSelector?.labels),
        };
        for (const scope of scopes(se.spec.exportTo, ns)) {
          if (host.startsWith('*')) this.#wildcards.push({ scope, suffix: host.slice(1), target });
          else this.#exact.set(`${scope}/${toFqdn(ns, host)}`, target);
        }
      }
    }
    // Kubernetes Services win over ServiceEntries of the same name, as they do in the registry.
    for (const svc of services) {
      const ns = svc.metadata.namespace ?? 'default';
      const host = toFqdn(ns, svc.metadata.name);
      const target: ServiceTarget = {
        resource: svc,
        host,
        namespace: ns,
        ports: (svc.spec.ports ?? []).map((p) => p.port),
        selector: selectorOrNone(svc.spec.selector),
      };
      const annotation = svc.metadata.annotations[EXPORT_TO_ANNOTATION];
      const exportTo = annotation?.split(',').map((s) => s.trim());
      for (const scope of scopes(exportTo, ns)) this.#exact.set(`${scope}/${host}`, target);
    }
  }

  /** Resolves `host` as written in a resource of namespace `from` (exported to `exportTo`). */
  lookup(from: string, host: string, exportTo?: readonly string[]): ServiceTarget | undefined {
    const fqdn = toFqdn(from, host);
    const found =
      this.#exact.get(`${ALL}/${fqdn}`) ??
      scopes(exportTo, from)
        .map((s) => this.#exact.get(`${s === ALL ? from : s}/${fqdn}`))
        .find((t) => t !== undefined);
    if (found) return found;
    const bare = fqdn.startsWith('*') ? fqdn.slice(1) : fqdn;
    return this.#wildcards.find((w) => (w.scope === ALL || w.scope === from) && bare.endsWith(w.suffix))
      ?.target;
  }
}
