// How objects are keyed in the store and named in messages, as kubectl names them.
import type { KindDefinition, Resource } from '../api/index.ts';

export interface ObjectRef {
  readonly kind: string;
  /** Absent for cluster-scoped kinds (Namespace). */
  readonly namespace?: string;
  readonly name: string;
}

export function refOf(r: Resource): ObjectRef {
  const ns = r.metadata.namespace;
  return ns === undefined
    ? { kind: r.kind, name: r.metadata.name }
    : { kind: r.kind, namespace: ns, name: r.metadata.name };
}

export function objectKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** The singular type name kubectl prints: virtualservice.networking.istio.io, deployment.apps, service. */
export function typeName(def: KindDefinition): string {
  const kind = def.kind.toLowerCase();
  return def.group ? `${kind}.${def.group}` : kind;
}

/** The plural resource name used in API errors: virtualservices.networking.istio.io. */
export function pluralName(def: KindDefinition): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

/** kubectl's NotFound sentence: virtualservices.networking.istio.io "reviews" not found. */
export function notFoundMessage(def: KindDefinition, name: string): string {
  return `${pluralName(def)} "${name}" not found`;
}

/** Namespaces that exist from the start, as in a new cluster with Istio installed. */
export const BUILTIN_NAMESPACES: readonly string[] = ['default', 'kube-system', 'istio-system'];

/** Namespaces Kubernetes refuses to delete. */
export const PROTECTED_NAMESPACES: readonly string[] = ['default', 'kube-system'];
