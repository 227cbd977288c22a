// The table of every kind Caravel accepts: group, served versions, scope, names, and the schema of
// its body. Each kind group registers itself from one place (registerAllKinds).
import type { z } from 'zod';

export interface KindDefinition {
  readonly kind: string;
  /** API group; "" for the core group ("v1"). */
  readonly group: string;
  /** Served versions, preferred first; resources are normalised to the preferred one. */
  readonly versions: readonly string[];
  readonly namespaced: boolean;
  /** Lower-case plural, as kubectl names it (virtualservices). */
  readonly plural: string;
  readonly shortNames: readonly string[];
  /** Schemas of the top-level fields besides apiVersion, kind and metadata. */
  readonly body: Readonly<Record<string, z.ZodType>>;
  /** Top-level fields that must be present (most Istio kinds require spec). */
  readonly requiredBody?: readonly string[];
  /**
   * What metadata.name must look like, as Kubernetes checks it: a DNS subdomain (the default),
   * a DNS-1123 label (Namespace), or a DNS-1035 label, which starts with a letter (Service).
   */
  readonly nameFormat?: 'subdomain' | 'label' | 'label1035';
}

export class KindRegistry {
  readonly #byKind = new Map<string, KindDefinition>();
  readonly #byName = new Map<string, KindDefinition>();

  add(def: KindDefinition): void {
    if (this.#byKind.has(def.kind)) throw new Error(`kind ${def.kind} registered twice`);
    this.#byKind.set(def.kind, def);
    for (const n of [def.kind.toLowerCase(), def.plural, ...def.shortNames]) {
      this.#byName.set(n, def);
      if (def.group) this.#byName.set(`${n}.${def.group}`, def);
    }
  }

  /** By kind as written in a manifest (VirtualService). */
  byKind(kind: string): KindDefinition | undefined {
    return this.#byKind.get(kind);
  }

  /** By any name kubectl accepts on the command line: vs, virtualservice, virtualservices, …group. */
  byName(name: string): KindDefinition | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  all(): readonly KindDefinition[] {
    return [...this.#byKind.values()];
  }
}

export function apiVersionsOf(def: KindDefinition): string[] {
  return def.versions.map((v) => (def.group ? `${def.group}/${v}` : v));
}

export function preferredApiVersion(def: KindDefinition): string {
  return apiVersionsOf(def)[0]!;
}
