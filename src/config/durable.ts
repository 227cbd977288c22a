// The file-backed store of local mode. Every change is made under the directory's writer lock
// against the latest state on disk, then written atomically; other processes' changes arrive
// through a watch on the directory, as events like local ones.
import { mkdir } from 'node:fs/promises';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { StateCorruptError } from '../errors/index.ts';
import { ApplyRejectedError } from './errors.ts';
import { acquireLock, removeDeadAttempts } from './lock.ts';
import { deepFreeze } from '../common/index.ts';
import { typedResource } from './manifest.ts';
import type { Manifest } from './manifest.ts';
import { StoreState, seedEntries, timestamp } from './memory.ts';
import type { StoreOptions } from './memory.ts';
import { objectKey } from './names.ts';
import type { ObjectRef } from './names.ts';
import { planApply, planDelete, planLabel } from './plan.ts';
import type { Plan, PlanContext, StoreView } from './plan.ts';
import { STATE_FILE, readState, removeLeftovers, sameStamp, stampOf, writeState } from './state-file.ts';
import type { FileStamp, StateData } from './state-file.ts';
import type {
  ApplyOutcome,
  ConfigStore,
  DeleteOutcome,
  LabelChange,
  LabelOutcome,
  StoreEntry,
  StoredRecord,
} from './store.ts';

export interface DurableStoreOptions extends StoreOptions {
  /** How long a writer waits for another one (milliseconds). */
  readonly lockTimeoutMs?: number;
  /** Read only: never create the directory or the state file (for `get`). */
  readonly readOnly?: boolean;
  /** Follow changes other processes make (for long-running processes). */
  readonly watch?: boolean;
  /** Called when a change seen by the watch cannot be loaded; the store keeps its last good state. */
  readonly onWatchError?: (error: Error) => void;
}

const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
/** Backstop for file systems whose change notifications are unreliable. */
const POLL_INTERVAL_MS = 1000;

export class DurableStore extends StoreState implements ConfigStore {
  readonly dir: string;
  readonly file: string;
  readonly #options: DurableStoreOptions;
  #stamp: FileStamp | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #refreshQueued = false;

  constructor(dir: string, options: DurableStoreOptions = {}) {
    super(options);
    this.dir = resolve(dir);
    this.file = join(this.dir, STATE_FILE);
    this.#options = options;
  }

  /** Loads the state (creating it unless read-only) and starts the watch when asked. */
  async open(): Promise<this> {
    if (!this.#options.readOnly) await mkdir(this.dir, { recursive: true });
    const found = await readState(this.dir);
    if (found) this.#load(found.data, found.stamp);
    else if (this.#options.readOnly) this.#seed();
    else
      await this.#serial(() =>
        this.#locked(async () => {
          const again = await readState(this.dir);
          if (again) return this.#load(again.data, again.stamp);
          const entries = seedEntries(this.registry, 1, timestamp(this.clock()));
          this.#stamp = await writeState(this.dir, { revision: 1, records: entries.map(recordOf) });
          this.replace(entries, 1);
        }),
      );
    if (this.#options.watch) this.#startWatch();
    return this;
  }

  #seed(): void {
    this.replace(seedEntries(this.registry, 1, timestamp(this.clock())), 1);
  }

  /** Builds entries from stored records, reusing those whose version did not change. */
  #load(data: StateData, stamp: FileStamp): void {
    const entries: StoreEntry[] = [];
    for (const record of data.records) {
      const o = record.object;
      const ref: ObjectRef =
        typeof o.metadata.namespace === 'string'
          ? { kind: o.kind, namespace: o.metadata.namespace, name: String(o.metadata.name) }
          : { kind: o.kind, name: String(o.metadata.name) };
      const known = this.entryByKey(objectKey(ref));
      if (known && known.resource.metadata.resourceVersion === o.metadata.resourceVersion) {
        entries.push(known);
        continue;
      }
      const typed = typedResource(o, record.source, this.registry);
      if (!typed.resource) {
        throw new StateCorruptError(
          `state file ${this.file} holds ${o.kind} ${objectKey(ref)} that no longer validates: ${typed.issues[0]?.message ?? 'unknown problem'}`,
          { hint: `delete that object with the Caravel version that applied it, or move ${this.file} aside` },
        );
      }
      entries.push({ resource: typed.resource, object: deepFreeze(o), applied: record.applied });
    }
    this.#stamp = stamp;
    this.replace(entries, data.revision);
  }

  /** Re-reads the file when it changed on disk. */
  async #refresh(): Promise<void> {
    const stamp = await stampOf(this.dir);
    if (stamp === undefined || sameStamp(stamp, this.#stamp)) return;
    const found = await readState(this.dir);
    if (found) this.#load(found.data, found.stamp);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(this.dir, this.#options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      await removeLeftovers(this.dir);
      await removeDeadAttempts(this.dir);
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** Plans against the latest state on disk and commits it there, then here. */
  #mutate<T>(plan: (view: StoreView, ctx: PlanContext) => Plan<T>, dryRun = false): Promise<T> {
    return this.#serial(async () => {
      const run = async () => {
        await this.#refresh();
        const ctx = this.context();
        const p = plan(this, ctx);
        if (p.issues.length) throw new ApplyRejectedError(p.issues);
        if (dryRun || p.changes.length === 0) return p.outcomes;
        const records = this.preview(p.changes).map(recordOf);
        this.#stamp = await writeState(this.dir, { revision: ctx.revision, records });
        this.commit(p.changes, ctx.revision);
        return p.outcomes;
      };
      return dryRun ? run() : this.#locked(run);
    });
  }

  apply(manifests: readonly Manifest[], options: { dryRun?: boolean } = {}): Promise<ApplyOutcome[]> {
    return this.#mutate((view, ctx) => planApply(view, manifests, ctx), options.dryRun);
  }

  delete(refs: readonly ObjectRef[]): Promise<DeleteOutcome[]> {
    return this.#mutate((view, ctx) => planDelete(view, refs, ctx));
  }

  label(
    refs: readonly ObjectRef[],
    change: LabelChange,
    options: { overwrite?: boolean } = {},
  ): Promise<LabelOutcome[]> {
    return this.#mutate((view, ctx) => planLabel(view, refs, change, options.overwrite ?? false, ctx));
  }

  /** Catches up with changes made by other processes now (the watch does this on its own). */
  sync(): Promise<void> {
    return this.#serial(() => this.#refresh());
  }

  #startWatch(): void {
    const queue = () => {
      if (this.#refreshQueued) return;
      this.#refreshQueued = true;
      this.#serial(async () => {
        this.#refreshQueued = false;
        await this.#refresh();
      }).catch((e: Error) => (this.#options.onWatchError ?? ((err) => process.emitWarning(err.message)))(e));
    };
    this.#watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      if (name === null || name === STATE_FILE) queue();
    });
    this.#watcher.on('error', () => undefined);
    this.#poll = setInterval(queue, POLL_INTERVAL_MS);
    this.#poll.unref();
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
    await this.#tail;
  }
}

function recordOf(entry: StoreEntry): StoredRecord {
  const source = entry.resource.source;
  return source
    ? { object: entry.object, source, applied: entry.applied }
    : { object: entry.object, applied: entry.applied };
}

/** Opens the store kept in `dir`; see DurableStoreOptions. */
export function openDurableStore(dir: string, options: DurableStoreOptions = {}): Promise<DurableStore> {
  return new DurableStore(dir, options).open();
}
