// What an analyzer sees: the resources by kind, a service registry and the workloads built from
// them, and a report() that records a message against a resource and the field it concerns.
import type { Resource } from '../kinds/meta.ts';
import type { PathSegment } from '../load/path.ts';
import { ServiceIndex } from './hosts.ts';
import type { Level, MessageText } from './messages.ts';
import type { KindMap } from './model.ts';
import { collectWorkloads } from './workloads.ts';
import type { Workload } from './workloads.ts';

export interface ResourceRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface AnalysisMessage {
  readonly code: string;
  readonly name: string;
  readonly level: Level;
  readonly message: string;
  /** The resource the message is about; absent for input that never became a resource. */
  readonly resource?: ResourceRef;
  readonly file?: string;
  readonly line?: number;
  /** The analyzer that produced it ("schema" for validation issues). */
  readonly analyzer: string;
}

export interface ContextOptions {
  /** The mesh root namespace, where mesh-wide policies live. */
  readonly rootNamespace: string;
  readonly builtinIngressGateway: boolean;
}

/** Finds the line of a field of a resource, when the resource's source text is known. */
export type FieldLocator = (resource: Resource, path: readonly PathSegment[]) => number | undefined;

export class AnalysisContext {
  readonly options: ContextOptions;
  readonly #byKind = new Map<string, Resource[]>();
  readonly #locate: FieldLocator;
  readonly #messages: AnalysisMessage[] = [];
  #services: ServiceIndex | undefined;
  #workloads: Workload[] | undefined;
  #analyzer = '';

  constructor(resources: readonly Resource[], options: ContextOptions, locate: FieldLocator) {
    this.options = options;
    this.#locate = locate;
    for (const r of resources) {
      const list = this.#byKind.get(r.kind) ?? [];
      list.push(r);
      this.#byKind.set(r.kind, list);
    }
  }

  list<K extends keyof KindMap>(kind: K): readonly KindMap[K][] {
    return (this.#byKind.get(kind) ?? []) as unknown as KindMap[K][];
  }

  get services(): ServiceIndex {
    this.#services ??= new ServiceIndex(this.list('Service'), this.list('ServiceEntry'));
    return this.#services;
  }

  get workloads(): readonly Workload[] {
    this.#workloads ??= collectWorkloads(
      this.list('Deployment'),
      this.list('Pod'),
      this.options.builtinIngressGateway,
    );
    return this.#workloads;
  }

  /** Records a message about `resource`, located at `path` when its line is known. */
  report(resource: Resource, m: MessageText, path: readonly PathSegment[] = []): void {
    this.#messages.push({
      code: m.type.code,
      name: m.type.name,
      level: m.type.level,
      message: m.text,
      resource: { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name },
      file: resource.source?.file,
      line: this.#locate(resource, path) ?? resource.source?.line,
      analyzer: this.#analyzer,
    });
  }

  /** Runs `fn` with messages attributed to `analyzer`. */
  within(analyzer: string, fn: () => void): void {
    this.#analyzer = analyzer;
    try {
      fn();
    } finally {
      this.#analyzer = '';
    }
  }

  get messages(): readonly AnalysisMessage[] {
    return this.#messages;
  }
}

/** "default/reviews" for namespaced resources, "reviews" otherwise. */
export function fullName(r: Resource | ResourceRef): string {
  const ref = 'metadata' in r ? { namespace: r.metadata.namespace, name: r.metadata.name } : r;
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

/** Orders resources oldest first: by creationTimestamp when both have one, else by input order. */
export function oldestFirst<T extends Resource>(resources: readonly T[]): T[] {
  const index = new Map(resources.map((r, i) => [r, i]));
  return [...resources].sort((a, b) => {
    const ta = a.metadata.creationTimestamp;
    const tb = b.metadata.creationTimestamp;
    if (ta && tb && ta !== tb) return ta < tb ? -1 : 1;
    return index.get(a)! - index.get(b)!;
  });
}
