// The in-memory store: objects keyed by kind/namespace/name, a monotonic revision, and change
// events. The file-backed store builds on the same state and adds persistence.
import type { KindRegistry, Resource } from '../api/index.ts';
import { builtinKinds, selectorMatches } from '../api/index.ts';
import { InternalError } from '../errors/index.ts';
import { ApplyRejectedError } from './errors.ts';
import { deepFreeze } from '../common/index.ts';
import { typedResource } from './manifest.ts';
import type { Manifest, ObjectJson } from './manifest.ts';
import { BUILTIN_NAMESPACES, objectKey, refOf } from './names.ts';
import type { ObjectRef } from './names.ts';
import { planApply, planDelete, planLabel } from './plan.ts';
import type { Change, Plan, PlanContext, StoreView } from './plan.ts';
import type {
  ApplyOutcome,
  ConfigStore,
  DeleteOutcome,
  LabelChange,
  LabelOutcome,
  ListQuery,
  StoreEntry,
  StoreEvent,
  StoreListener,
} from './store.ts';

export interface StoreOptions {
  /** Kinds the store accepts; the built-in ones by default. */
  readonly registry?: KindRegistry;
  /** Clock for creationTimestamp (tests pin it). */
  readonly clock?: () => Date;
}

/** Kubernetes' timestamp form: RFC 3339 in UTC with whole seconds. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The namespaces a new store starts with. */
export function seedEntries(registry: KindRegistry, revision: number, now: string): StoreEntry[] {
  return BUILTIN_NAMESPACES.map((name, i) => {
    const object: ObjectJson = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        uid: `00000000-0000-4000-8000-00000000000${i + 1}`,
        creationTimestamp: now,
        generation: 1,
        resourceVersion: String(revision),
      },
    };
    const typed = typedResource(object, undefined, registry);
    if (!typed.resource) throw new InternalError(`the built-in namespace ${name} does not validate`);
    return { resource: typed.resource, object: deepFreeze(object), applied: { labels: [], annotations: [] } };
  });
}

function compareEntries(a: StoreEntry, b: StoreEntry): number {
  const ma = a.resource.metadata;
  const mb = b.resource.metadata;
  return (
    a.resource.kind.localeCompare(b.resource.kind) ||
    (ma.namespace ?? '').localeCompare(mb.namespace ?? '') ||
    ma.name.localeCompare(mb.name)
  );
}

/** Reads, events and commits shared by both stores. */
export abstract class StoreState implements StoreView {
  protected readonly registry: KindRegistry;
  protected readonly clock: () => Date;
  #entries = new Map<string, StoreEntry>();
  #revision = 0;
  readonly #listeners = new Set<StoreListener>();

  constructor(options: StoreOptions = {}) {
    this.registry = options.registry ?? builtinKinds();
    this.clock = options.clock ?? (() => new Date());
  }

  get revision(): number {
    return this.#revision;
  }

  entryByKey(key: string): StoreEntry | undefined {
    return this.#entries.get(key);
  }

  allEntries(): Iterable<StoreEntry> {
    return this.#entries.values();
  }

  entry(ref: ObjectRef): StoreEntry | undefined {
    return this.#entries.get(objectKey(ref));
  }

  get(ref: ObjectRef): Resource | undefined {
    return this.entry(ref)?.resource;
  }

  entries(query: ListQuery = {}): StoreEntry[] {
    const out: StoreEntry[] = [];
    for (const e of this.#entries.values()) {
      const m = e.resource.metadata;
      if (query.kind !== undefined && e.resource.kind !== query.kind) continue;
      if (query.namespace !== undefined && m.namespace !== undefined && m.namespace !== query.namespace)
        continue;
      if (query.selector && !selectorMatches(query.selector, m.labels)) continue;
      out.push(e);
    }
    return out.sort(compareEntries);
  }

  list(query: ListQuery = {}): Resource[] {
    return this.entries(query).map((e) => e.resource);
  }

  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watch(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<StoreEvent> {
    const queue: StoreEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const unsubscribe = this.subscribe((e) => {
      queue.push(e);
      wake?.();
    });
    const finish = () => {
      done = true;
      unsubscribe();
      wake?.();
    };
    if (options.signal?.aborted) finish();
    options.signal?.addEventListener('abort', finish, { once: true });
    const iterator: AsyncIterableIterator<StoreEvent> = {
      async next() {
        while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        const value = queue.shift();
        return value ? { value, done: false } : { value: undefined, done: true };
      },
      async return() {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  protected context(): PlanContext {
    return { registry: this.registry, revision: this.#revision + 1, now: timestamp(this.clock()) };
  }

  /** The full set of entries `changes` would leave, without installing it. */
  protected preview(changes: readonly Change[]): StoreEntry[] {
    const next = new Map(this.#entries);
    for (const c of changes) {
      if (c.entry) next.set(c.key, c.entry);
      else next.delete(c.key);
    }
    return [...next.values()].sort(compareEntries);
  }

  /** Installs changes at `revision` and tells the listeners. */
  protected commit(changes: readonly Change[], revision: number): void {
    const events: StoreEvent[] = [];
    for (const c of changes) {
      const previous = this.#entries.get(c.key)?.resource;
      if (c.entry) {
        this.#entries.set(c.key, c.entry);
        events.push(
          previous
            ? { type: 'updated', resource: c.entry.resource, previous, revision }
            : { type: 'created', resource: c.entry.resource, revision },
        );
      } else if (previous) {
        this.#entries.delete(c.key);
        events.push({ type: 'deleted', resource: previous, revision });
      }
    }
    this.#revision = revision;
    this.#emit(events);
  }

  /** Replaces the whole state (a reload); events describe the difference. */
  protected replace(entries: readonly StoreEntry[], revision: number): void {
    const next = new Map(entries.map((e) => [objectKey(refOf(e.resource)), e] as const));
    const changes: Change[] = [];
    for (const [key, e] of next) {
      const old = this.#entries.get(key);
      if (old?.object !== e.object) changes.push({ key, entry: e });
    }
    for (const key of this.#entries.keys()) if (!next.has(key)) changes.push({ key, entry: undefined });
    this.commit(changes, revision);
  }

  #emit(events: readonly StoreEvent[]): void {
    for (const e of events) {
      for (const l of [...this.#listeners]) {
        try {
          l(e);
        } catch (err) {
          // A failing listener is a bug in its owner; surface it without undoing the commit.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    }
  }

  abstract apply(manifests: readonly Manifest[], options?: { dryRun?: boolean }): Promise<ApplyOutcome[]>;
  abstract delete(refs: readonly ObjectRef[]): Promise<DeleteOutcome[]>;
  abstract label(
    refs: readonly ObjectRef[],
    change: LabelChange,
    options?: { overwrite?: boolean },
  ): Promise<LabelOutcome[]>;
  abstract close(): Promise<void>;
}

/** A store that lives as long as its process: for tests, and for components fed from elsewhere. */
export class MemoryStore extends StoreState implements ConfigStore {
  constructor(options: StoreOptions = {}) {
    super(options);
    const now = timestamp(this.clock());
    this.commit(
      seedEntries(this.registry, 1, now).map((entry) => ({ key: objectKey(refOf(entry.resource)), entry })),
      1,
    );
  }

  #run<T>(plan: Plan<T>, dryRun = false): T {
    if (plan.issues.length) throw new ApplyRejectedError(plan.issues);
    if (!dryRun && plan.changes.length) this.commit(plan.changes, this.revision + 1);
    return plan.outcomes;
  }

  async apply(manifests: readonly Manifest[], options: { dryRun?: boolean } = {}): Promise<ApplyOutcome[]> {
    return this.#run(planApply(this, manifests, this.context()), options.dryRun);
  }

  async delete(refs: readonly ObjectRef[]): Promise<DeleteOutcome[]> {
    return this.#run(planDelete(this, refs, this.context()));
  }

  async label(
    refs: readonly ObjectRef[],
    change: LabelChange,
    options: { overwrite?: boolean } = {},
  ): Promise<LabelOutcome[]> {
    return this.#run(planLabel(this, refs, change, options.overwrite ?? false, this.context()));
  }

  async close(): Promise<void> {}
}
