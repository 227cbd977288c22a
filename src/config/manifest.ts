// Manifests as the store takes them: the validated typed resource, the object as the user wrote it
// (what `get -o yaml` shows back), and where each field came from for error messages.
import { deepFreeze } from '../common/index.ts';
import { builtinKinds, parseSources, readSources, validateDocuments } from '../api/index.ts';
import type { Issue, KindRegistry, Resource, SourceRef, SourceText } from '../api/index.ts';

/** An object in its JSON form: the manifest's fields plus server-set metadata once stored. */
export interface ObjectJson {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

export interface Manifest {
  readonly resource: Resource;
  /** The document as written, without status; apiVersion as written. */
  readonly object: ObjectJson;
  /** Whether the document named its own namespace. */
  readonly namesNamespace: boolean;
  /** Line (and column) of a dotted field path such as "spec.selector", else of the document. */
  locate(path: string): { line: number; column?: number };
}

export interface ManifestSet {
  readonly manifests: readonly Manifest[];
  /** Every problem of every document; a set with errors must not be applied. */
  readonly issues: readonly Issue[];
}

export interface ReadOptions {
  /** kubectl's -n: the namespace of documents that name none; a document naming another is an error. */
  readonly namespace?: string;
  readonly registry?: KindRegistry;
}

/** Parses and validates texts into manifests; issues cover syntax, schema and namespace conflicts. */
export function readManifests(sources: readonly SourceText[], options: ReadOptions = {}): ManifestSet {
  const registry = options.registry ?? builtinKinds();
  const parsed = parseSources(sources);
  const issues: Issue[] = [...parsed.issues];
  const manifests: Manifest[] = [];
  for (const doc of parsed.documents) {
    const result = validateDocuments([doc], registry, { defaultNamespace: options.namespace });
    issues.push(...result.issues);
    const resource = result.resources[0];
    if (!resource) continue;
    const locate = (path: string): { line: number; column?: number } => {
      const parts = path.split('.');
      for (let n = parts.length; n > 0; n--) {
        const p = doc.positions.get(parts.slice(0, n).join('.'));
        if (p) return p.key ?? p.value;
      }
      return { line: doc.line };
    };
    const raw = structuredClone(doc.value) as Record<string, unknown>;
    delete raw.status;
    const ownNamespace = (raw.metadata as { namespace?: unknown }).namespace;
    if (
      options.namespace !== undefined &&
      typeof ownNamespace === 'string' &&
      ownNamespace !== options.namespace
    ) {
      const at = locate('metadata.namespace');
      issues.push({
        severity: 'error',
        code: 'namespace-mismatch',
        message: `the namespace from the provided object "${ownNamespace}" does not match the namespace "${options.namespace}"`,
        hint: `pass --namespace=${ownNamespace} to apply it there, or remove metadata.namespace from the document`,
        file: doc.file,
        line: at.line,
        column: at.column,
        path: 'metadata.namespace',
        resource: `${resource.kind} ${ownNamespace}/${resource.metadata.name}`,
      });
      continue;
    }
    manifests.push({
      resource,
      object: deepFreeze(raw) as unknown as ObjectJson,
      namesNamespace: typeof ownNamespace === 'string',
      locate,
    });
  }
  return { manifests, issues };
}

/** Reads files, directories and "-" (stdin) into manifests. */
export function readManifestFiles(
  paths: readonly string[],
  options: ReadOptions & { stdin?: () => string } = {},
): ManifestSet {
  return readManifests(readSources(paths, options.stdin), options);
}

/**
 * Validates a stored object back into its typed resource (the store keeps objects as written, so
 * durations and the like stay in the user's notation for display).
 */
export function typedResource(
  object: ObjectJson,
  source: SourceRef | undefined,
  registry: KindRegistry,
): { resource?: Resource; issues: readonly Issue[] } {
  const file = source?.file ?? '<store>';
  const result = validateDocuments(
    [{ file, index: 0, line: source?.line ?? 1, value: object, positions: new Map() }],
    registry,
  );
  const r = result.resources[0];
  if (!r) return { issues: result.issues };
  const { source: _ignored, ...rest } = r;
  return { resource: deepFreeze(source ? { ...rest, source } : rest) as Resource, issues: [] };
}
