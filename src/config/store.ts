// The store's vocabulary: entries, events, queries and outcomes, and the interface both the
// in-memory and the file-backed store implement.
import type { Resource, SourceRef } from '../api/index.ts';
import type { ObjectJson } from './manifest.ts';
import type { Manifest } from './manifest.ts';
import type { ObjectRef } from './names.ts';
import type { Selector } from './selector.ts';

/** Label and annotation keys the last apply set. Keys set by others (`label`) survive a later apply. */
export interface AppliedKeys {
  readonly labels: readonly string[];
  readonly annotations: readonly string[];
}

export interface StoreEntry {
  /** Typed, validated and frozen; metadata carries uid, resourceVersion, generation, creationTimestamp. */
  readonly resource: Resource;
  /** The object as applied plus server-set metadata: what `get -o yaml` prints. */
  readonly object: ObjectJson;
  readonly applied: AppliedKeys;
}

export interface StoreEvent {
  readonly type: 'created' | 'updated' | 'deleted';
  /** The new object, or for `deleted` the object as it was. */
  readonly resource: Resource;
  readonly previous?: Resource;
  /** Store revision of the change. */
  readonly revision: number;
}

export type StoreListener = (event: StoreEvent) => void;

export interface ListQuery {
  readonly kind?: string;
  /** Omitted: every namespace. */
  readonly namespace?: string;
  readonly selector?: Selector;
}

export interface ApplyOutcome {
  readonly ref: ObjectRef;
  readonly action: 'created' | 'configured' | 'unchanged';
  readonly resource: Resource;
}

export interface DeleteOutcome {
  readonly ref: ObjectRef;
  readonly result: 'deleted' | 'not-found' | 'forbidden';
  /** Deleting a namespace deletes what it holds. */
  readonly alsoDeleted?: readonly ObjectRef[];
}

export interface LabelChange {
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

export interface LabelOutcome {
  readonly ref: ObjectRef;
  readonly changed: boolean;
  /** Keys asked to be removed that the object did not have. */
  readonly absent: readonly string[];
}

export interface ConfigStore {
  /** Monotonic revision: bumped once per committed change set. */
  readonly revision: number;
  get(ref: ObjectRef): Resource | undefined;
  entry(ref: ObjectRef): StoreEntry | undefined;
  /** Sorted by kind, namespace and name. */
  list(query?: ListQuery): Resource[];
  entries(query?: ListQuery): StoreEntry[];
  /** Calls `listener` for every change after this call; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void;
  /** The same events as an async iterator, ended by `signal` or by leaving the loop. */
  watch(options?: { signal?: AbortSignal }): AsyncIterableIterator<StoreEvent>;
  /** Create or update every manifest, all or nothing; throws ApplyRejectedError listing every problem. */
  apply(manifests: readonly Manifest[], options?: { dryRun?: boolean }): Promise<ApplyOutcome[]>;
  /** Deletes what exists; reports the rest as not-found, as kubectl does. */
  delete(refs: readonly ObjectRef[]): Promise<DeleteOutcome[]>;
  /** Changes labels on every object, all or nothing (NotFoundError, LabelConflictError). */
  label(
    refs: readonly ObjectRef[],
    change: LabelChange,
    options?: { overwrite?: boolean },
  ): Promise<LabelOutcome[]>;
  close(): Promise<void>;
}

/** What the durable store persists per object. */
export interface StoredRecord {
  readonly object: ObjectJson;
  readonly source?: SourceRef;
  readonly applied: AppliedKeys;
}
