// kubectl's semantics as pure planning over a read-only view: what apply, delete and label would
// change, or every reason they cannot. Nothing here writes; the stores commit a plan in one step.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Issue, KindDefinition, KindRegistry } from '../api/index.ts';
import { ConfigInvalidError, NotFoundError } from '../errors/index.ts';
import { LabelConflictError } from './errors.ts';
import { immutableViolations } from './immutable.ts';
import { deepFreeze } from '../common/index.ts';
import { typedResource } from './manifest.ts';
import type { Manifest, ObjectJson } from './manifest.ts';
import { PROTECTED_NAMESPACES, notFoundMessage, objectKey, refOf } from './names.ts';
import type { ObjectRef } from './names.ts';
import type {
  AppliedKeys,
  ApplyOutcome,
  DeleteOutcome,
  LabelChange,
  LabelOutcome,
  StoreEntry,
} from './store.ts';

export interface StoreView {
  readonly revision: number;
  entryByKey(key: string): StoreEntry | undefined;
  allEntries(): Iterable<StoreEntry>;
}

/** A key mapped to its new entry, or to undefined for a deletion. */
export type Change = { readonly key: string; readonly entry: StoreEntry | undefined };

export interface Plan<T> {
  readonly changes: readonly Change[];
  readonly outcomes: T;
  readonly issues: readonly Issue[];
}

export interface PlanContext {
  readonly registry: KindRegistry;
  /** The revision the plan's changes will be committed at. */
  readonly revision: number;
  /** RFC 3339 time, seconds precision, as Kubernetes stamps creationTimestamp. */
  readonly now: string;
}

const SERVER_FIELDS = ['uid', 'resourceVersion', 'generation', 'creationTimestamp'] as const;
/** Metadata a manifest may carry that the store keeps; everything else in it is server-set. */
const KEPT_METADATA = [
  'name',
  'namespace',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
] as const;

function bodyOf(object: ObjectJson): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...body } = object;
  return body;
}

function stringMap(v: unknown): Record<string, string> {
  return v && typeof v === 'object' ? { ...(v as Record<string, string>) } : {};
}

/** A kubectl-style three-way merge of labels or annotations: drop keys the last apply set and this one omits. */
function mergeKeys(
  live: Record<string, string>,
  lastApplied: readonly string[],
  desired: Record<string, string>,
): Record<string, string> {
  const out = { ...live };
  for (const k of lastApplied) if (!(k in desired)) delete out[k];
  return Object.assign(out, desired);
}

function buildObject(
  apiVersion: string,
  kind: string,
  meta: Record<string, unknown>,
  body: Record<string, unknown>,
): ObjectJson {
  const metadata: Record<string, unknown> = {};
  for (const k of [...KEPT_METADATA, ...SERVER_FIELDS]) {
    const v = meta[k];
    if (v === undefined) continue;
    if ((k === 'labels' || k === 'annotations') && Object.keys(v as object).length === 0) continue;
    metadata[k] = v;
  }
  return { apiVersion, kind, metadata, ...body };
}

function withoutServerFields(object: ObjectJson): ObjectJson {
  const metadata = { ...object.metadata };
  for (const k of SERVER_FIELDS) delete metadata[k];
  return { ...object, metadata };
}

function defOf(registry: KindRegistry, kind: string): KindDefinition {
  const def = registry.byKind(kind);
  if (!def) throw new NotFoundError(`the store has no kind "${kind}"`);
  return def;
}

class Overlay {
  readonly #view: StoreView;
  readonly #changes = new Map<string, StoreEntry | undefined>();
  constructor(view: StoreView) {
    this.#view = view;
  }
  get(key: string): StoreEntry | undefined {
    return this.#changes.has(key) ? this.#changes.get(key) : this.#view.entryByKey(key);
  }
  set(key: string, entry: StoreEntry | undefined): void {
    this.#changes.set(key, entry);
  }
  *entries(): Iterable<StoreEntry> {
    for (const e of this.#view.allEntries()) {
      const key = objectKey(refOf(e.resource));
      if (!this.#changes.has(key)) yield e;
    }
    for (const e of this.#changes.values()) if (e) yield e;
  }
  changes(): Change[] {
    return [...this.#changes].map(([key, entry]) => ({ key, entry }));
  }
}

function issueFor(m: Manifest, path: string, code: string, message: string, hint?: string): Issue {
  const at = m.locate(path);
  const r = m.resource;
  return {
    severity: 'error',
    code,
    message,
    hint,
    file: r.source?.file,
    line: at.line,
    column: at.column,
    path,
    resource: `${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${r.metadata.name}`,
  };
}

/** Create or update every manifest; any issue means none of them may be committed. */
export function planApply(
  view: StoreView,
  manifests: readonly Manifest[],
  ctx: PlanContext,
): Plan<ApplyOutcome[]> {
  const overlay = new Overlay(view);
  const issues: Issue[] = [];
  const outcomes: ApplyOutcome[] = [];
  const created = new Set(
    manifests.filter((m) => m.resource.kind === 'Namespace').map((m) => m.resource.metadata.name),
  );
  for (const m of manifests) {
    const r = m.resource;
    defOf(ctx.registry, r.kind);
    const ns = r.metadata.namespace;
    const ref = refOf(r);
    if (ns !== undefined && !created.has(ns) && !overlay.get(objectKey({ kind: 'Namespace', name: ns }))) {
      issues.push(
        issueFor(
          m,
          m.namesNamespace ? 'metadata.namespace' : 'metadata',
          'namespace-not-found',
          `namespaces "${ns}" not found`,
          `create it first, or in the same apply (a document "apiVersion: v1, kind: Namespace, metadata: {name: ${ns}}")`,
        ),
      );
      continue;
    }
    const key = objectKey(ref);
    const prev = overlay.get(key);
    const meta = m.object.metadata;
    const desiredLabels = stringMap(meta.labels);
    const desiredAnnotations = stringMap(meta.annotations);
    const applied: AppliedKeys = {
      labels: Object.keys(desiredLabels).sort(),
      annotations: Object.keys(desiredAnnotations).sort(),
    };
    const labels = prev
      ? mergeKeys(stringMap(prev.object.metadata.labels), prev.applied.labels, desiredLabels)
      : desiredLabels;
    const annotations = prev
      ? mergeKeys(stringMap(prev.object.metadata.annotations), prev.applied.annotations, desiredAnnotations)
      : desiredAnnotations;
    const body = bodyOf(m.object);
    // What the user asks for; server fields copied from a saved `get -o yaml` play no part.
    const draft = withoutServerFields(
      buildObject(r.apiVersion, r.kind, { ...meta, namespace: ns, labels, annotations }, body),
    );
    if (prev) {
      const violations = immutableViolations(prev.object, draft);
      for (const v of violations) issues.push(issueFor(m, v.path, 'immutable-field', v.message, v.hint));
      if (violations.length) continue;
      if (
        isDeepStrictEqual(withoutServerFields(prev.object), draft) &&
        isDeepStrictEqual(prev.applied, applied)
      ) {
        outcomes.push({ ref, action: 'unchanged', resource: prev.resource });
        continue;
      }
    }
    const pm = prev?.object.metadata;
    const bodyChanged = !prev || !isDeepStrictEqual(bodyOf(prev.object), body);
    const object = buildObject(
      r.apiVersion,
      r.kind,
      {
        ...draft.metadata,
        uid: pm?.uid ?? randomUUID(),
        creationTimestamp: pm?.creationTimestamp ?? ctx.now,
        generation: (typeof pm?.generation === 'number' ? pm.generation : 0) + (bodyChanged ? 1 : 0),
        resourceVersion: String(ctx.revision),
      },
      body,
    );
    const typed = typedResource(object, r.source, ctx.registry);
    if (!typed.resource) {
      issues.push(
        ...typed.issues.map((i) => ({ ...i, file: r.source?.file, line: m.locate(i.path ?? '').line })),
      );
      continue;
    }
    const entry: StoreEntry = {
      resource: typed.resource,
      object: deepFreeze(object),
      applied: deepFreeze(applied),
    };
    overlay.set(key, entry);
    outcomes.push({ ref, action: prev ? 'configured' : 'created', resource: typed.resource });
  }
  return { changes: issues.length ? [] : overlay.changes(), outcomes, issues };
}

/** Deletes what exists. Namespaces go last and take everything they hold with them. */
export function planDelete(
  view: StoreView,
  refs: readonly ObjectRef[],
  ctx: PlanContext,
): Plan<DeleteOutcome[]> {
  const overlay = new Overlay(view);
  const outcomes: DeleteOutcome[] = [];
  const ordered = [
    ...refs.filter((r) => r.kind !== 'Namespace'),
    ...refs.filter((r) => r.kind === 'Namespace'),
  ];
  for (const ref of ordered) {
    defOf(ctx.registry, ref.kind);
    if (ref.kind === 'Namespace' && PROTECTED_NAMESPACES.includes(ref.name)) {
      outcomes.push({ ref, result: 'forbidden' });
      continue;
    }
    const key = objectKey(ref);
    if (!overlay.get(key)) {
      outcomes.push({ ref, result: 'not-found' });
      continue;
    }
    overlay.set(key, undefined);
    const alsoDeleted: ObjectRef[] = [];
    if (ref.kind === 'Namespace') {
      for (const e of [...overlay.entries()]) {
        if (e.resource.metadata.namespace !== ref.name) continue;
        const inner = refOf(e.resource);
        overlay.set(objectKey(inner), undefined);
        alsoDeleted.push(inner);
      }
    }
    outcomes.push(alsoDeleted.length ? { ref, result: 'deleted', alsoDeleted } : { ref, result: 'deleted' });
  }
  return { changes: overlay.changes(), outcomes, issues: [] };
}

/** Sets and removes labels on every object, or throws without changing any. */
export function planLabel(
  view: StoreView,
  refs: readonly ObjectRef[],
  change: LabelChange,
  overwrite: boolean,
  ctx: PlanContext,
): Plan<LabelOutcome[]> {
  const overlay = new Overlay(view);
  const outcomes: LabelOutcome[] = [];
  for (const ref of refs) {
    const def = defOf(ctx.registry, ref.kind);
    const key = objectKey(ref);
    const prev = overlay.get(key);
    if (!prev) throw new NotFoundError(notFoundMessage(def, ref.name));
    const before = stringMap(prev.object.metadata.labels);
    const labels = { ...before };
    for (const [k, v] of Object.entries(change.set)) {
      if (k in labels && labels[k] !== v && !overwrite) throw new LabelConflictError(k, labels[k]!);
      labels[k] = v;
    }
    const absent = change.remove.filter((k) => !(k in labels));
    for (const k of change.remove) delete labels[k];
    if (isDeepStrictEqual(labels, before)) {
      outcomes.push({ ref, changed: false, absent });
      continue;
    }
    const object = buildObject(
      prev.object.apiVersion,
      prev.object.kind,
      { ...prev.object.metadata, labels, resourceVersion: String(ctx.revision) },
      bodyOf(prev.object),
    );
    const typed = typedResource(object, prev.resource.source, ctx.registry);
    if (!typed.resource) {
      const first = typed.issues[0];
      throw new ConfigInvalidError(`invalid label: ${first?.message ?? 'rejected'}`, typed.issues);
    }
    overlay.set(key, { resource: typed.resource, object: deepFreeze(object), applied: prev.applied });
    outcomes.push({ ref, changed: true, absent });
  }
  return { changes: overlay.changes(), outcomes, issues: [] };
}
