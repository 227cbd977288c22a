// Validation of parsed documents into frozen resources. Every problem in every document is
// reported, each with file, line, field path and a sentence a user can act on.
import { z } from 'zod';
import { deepFreeze } from '../../common/index.ts';
import type { Issue } from '../load/issue.ts';
import { formatPath } from '../load/path.ts';
import type { PathSegment } from '../load/path.ts';
import { locate } from '../load/yaml.ts';
import type { RawDocument } from '../load/yaml.ts';
import { objectMeta } from '../kinds/meta.ts';
import type { Resource } from '../kinds/meta.ts';
import { apiVersionsOf, preferredApiVersion } from '../kinds/registry.ts';
import type { KindDefinition, KindRegistry } from '../kinds/registry.ts';
import { closest, objectsAt, placesOf } from './introspect.ts';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from './primitives.ts';

export interface ValidateOptions {
  /** Namespace given to namespaced objects that name none (kubectl's -n, else "default"). */
  readonly defaultNamespace?: string;
}

export interface ValidationResult {
  readonly resources: readonly Resource[];
  readonly issues: readonly Issue[];
}

const schemaCache = new WeakMap<KindDefinition, z.ZodType>();

function documentSchema(def: KindDefinition): z.ZodType {
  let s = schemaCache.get(def);
  if (!s) {
    const body: Record<string, z.ZodType> = {};
    for (const [k, v] of Object.entries(def.body)) body[k] = def.requiredBody?.includes(k) ? v : v.optional();
    s = z.strictObject({
      apiVersion: z.string(),
      kind: z.string(),
      metadata: objectMeta,
      // Present in manifests saved from a cluster; never validated, never applied.
      status: z.unknown().optional(),
      ...body,
    });
    schemaCache.set(def, s);
  }
  return s;
}

function describeType(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map of fields';
  if (typeof value === 'string') return `the text "${value}"`;
  return `${typeof value} ${String(value)}`;
}

function expectedWords(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a map of fields';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
    case 'int':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v == null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function resourceName(doc: RawDocument): string | undefined {
  const v = doc.value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof v?.kind !== 'string') return undefined;
  const ns = typeof v.metadata?.namespace === 'string' ? `${v.metadata.namespace}/` : '';
  const name = typeof v.metadata?.name === 'string' ? v.metadata.name : '<unnamed>';
  return `${v.kind} ${ns}${name}`;
}

function issueAt(
  doc: RawDocument,
  path: readonly PathSegment[],
  code: string,
  message: string,
  hint?: string,
  preferKey = false,
): Issue {
  const pos = locate(doc, path, preferKey) ?? { line: doc.line, column: 1 };
  return {
    severity: 'error',
    code,
    message,
    hint,
    file: doc.file,
    line: pos.line,
    column: pos.column,
    path: path.length ? formatPath(path) : undefined,
    resource: resourceName(doc),
  };
}

function zodIssues(doc: RawDocument, schema: z.ZodType, error: z.ZodError): Issue[] {
  const out: Issue[] = [];
  for (const iss of error.issues) {
    const path = iss.path as PathSegment[];
    switch (iss.code) {
      case 'unrecognized_keys': {
        const allowed = new Set(objectsAt(schema, path).flatMap((shape) => Object.keys(shape)));
        for (const key of iss.keys) {
          const guess = closest(key, allowed);
          let hint: string | undefined;
          if (guess) hint = `did you mean "${guess}"?`;
          else {
            const elsewhere = placesOf(schema, key).filter((p) => p !== '');
            if (elsewhere.length > 0) {
              hint = `"${key}" is a field of ${elsewhere.map((p) => `"${p}"`).join(' or ')}, not of "${formatPath(path) || 'the document'}"`;
            } else if (allowed.size > 0 && allowed.size <= 12) {
              hint = `fields allowed here: ${[...allowed].join(', ')}`;
            }
          }
          out.push(issueAt(doc, [...path, key], 'unknown-field', `unknown field "${key}"`, hint, true));
        }
        break;
      }
      case 'invalid_type': {
        const actual = valueAt(doc.value, path);
        const message =
          actual === undefined
            ? `required field is missing`
            : `must be ${expectedWords(String(iss.expected))}, not ${describeType(actual)}`;
        out.push(
          issueAt(
            doc,
            path,
            actual === undefined ? 'missing-field' : 'invalid-type',
            iss.message.startsWith('Invalid input') ? message : iss.message,
          ),
        );
        break;
      }
      case 'invalid_value': {
        const values = (iss as { values?: unknown[] }).values ?? [];
        const actual = valueAt(doc.value, path);
        const guess = typeof actual === 'string' ? closest(actual, values.map(String)) : undefined;
        out.push(
          issueAt(
            doc,
            path,
            'invalid-value',
            `${JSON.stringify(actual)} is not one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
            guess ? `did you mean "${guess}"?` : undefined,
          ),
        );
        break;
      }
      case 'custom': {
        const params = (iss.params ?? {}) as { rule?: string; hint?: string };
        out.push(issueAt(doc, path, params.rule ?? 'invalid-value', iss.message, params.hint));
        break;
      }
      default:
        out.push(issueAt(doc, path, 'invalid-value', iss.message));
    }
  }
  return out;
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function nameProblem(name: string, format: 'subdomain' | 'label' | 'label1035'): string | undefined {
  switch (format) {
    case 'label':
      return name.length <= 63 && DNS1123_LABEL.test(name)
        ? undefined
        : 'must be at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit';
    case 'label1035':
      return name.length <= 63 && DNS1035_LABEL.test(name)
        ? undefined
        : 'must be at most 63 lower-case letters, digits or "-", starting with a letter and ending with a letter or digit';
    default:
      return name.length <= 253 && DNS1123_SUBDOMAIN.test(name)
        ? undefined
        : 'must be lower-case letters, digits, "-" and ".", starting and ending with a letter or digit';
  }
}

/** Validates one document; returns the resource, or the issues that prevent it. */
export function validateDocument(
  doc: RawDocument,
  registry: KindRegistry,
  options: ValidateOptions = {},
): { resource?: Resource; issues: Issue[] } {
  const v = doc.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return {
      issues: [
        issueAt(doc, [], 'not-an-object', 'a document must be a map with apiVersion, kind and metadata'),
      ],
    };
  }
  const obj = v as Record<string, unknown>;
  const issues: Issue[] = [];
  if (typeof obj.kind !== 'string')
    issues.push(issueAt(doc, ['kind'], 'missing-field', 'every document needs a "kind"'));
  if (typeof obj.apiVersion !== 'string') {
    issues.push(issueAt(doc, ['apiVersion'], 'missing-field', 'every document needs an "apiVersion"'));
  }
  if (issues.length) return { issues };
  const def = registry.byKind(obj.kind as string);
  if (!def) {
    const guess = closest(
      obj.kind as string,
      registry.all().map((d) => d.kind),
    );
    return {
      issues: [
        issueAt(
          doc,
          ['kind'],
          'unknown-kind',
          `unknown kind "${String(obj.kind)}"`,
          guess
            ? `did you mean "${guess}"?`
            : `Caravel accepts: ${registry
                .all()
                .map((d) => d.kind)
                .join(', ')}`,
        ),
      ],
    };
  }
  const served = apiVersionsOf(def);
  if (!served.includes(obj.apiVersion as string)) {
    issues.push(
      issueAt(
        doc,
        ['apiVersion'],
        'unknown-api-version',
        `${def.kind} is not served at apiVersion "${String(obj.apiVersion)}"`,
        `use one of: ${served.join(', ')}`,
      ),
    );
  }
  const schema = documentSchema(def);
  const parsed = schema.safeParse(obj);
  if (!parsed.success) issues.push(...zodIssues(doc, schema, parsed.error));
  const meta = obj.metadata as { namespace?: string; name?: unknown } | undefined;
  if (meta && typeof meta.name === 'string' && meta.name !== '') {
    const problem = nameProblem(meta.name, def.nameFormat ?? 'subdomain');
    if (problem)
      issues.push(
        issueAt(doc, ['metadata', 'name'], 'invalid-name', `${def.kind} name "${meta.name}" ${problem}`),
      );
  }
  if (!def.namespaced && meta && typeof meta === 'object' && meta.namespace !== undefined) {
    issues.push(
      issueAt(
        doc,
        ['metadata', 'namespace'],
        'cluster-scoped',
        `${def.kind} is cluster-scoped and takes no namespace`,
      ),
    );
  }
  if (issues.length) return { issues };

  const out = { ...(parsed.data as Record<string, unknown>) };
  delete out.status;
  const m = out.metadata as Record<string, unknown>;
  const metadata: Record<string, unknown> = {
    name: m.name,
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
  };
  if (def.namespaced) metadata.namespace = m.namespace ?? options.defaultNamespace ?? 'default';
  for (const k of ['resourceVersion', 'generation', 'uid', 'creationTimestamp'] as const) {
    if (m[k] != null) metadata[k] = m[k];
  }
  const resource = {
    ...out,
    apiVersion: preferredApiVersion(def),
    kind: def.kind,
    metadata,
    source: { file: doc.file, line: doc.line, apiVersion: obj.apiVersion as string },
  };
  return { resource: deepFreeze(resource) as unknown as Resource, issues: [] };
}

/** Validates every document; `resources` holds only the valid ones, in input order. */
export function validateDocuments(
  docs: readonly RawDocument[],
  registry: KindRegistry,
  options: ValidateOptions = {},
): ValidationResult {
  const resources: Resource[] = [];
  const issues: Issue[] = [];
  for (const doc of docs) {
    const r = validateDocument(doc, registry, options);
    if (r.resource) resources.push(r.resource);
    issues.push(...r.issues);
  }
  return { resources, issues };
}
