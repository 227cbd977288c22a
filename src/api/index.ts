// Public face of the API component: load Istio/Kubernetes YAML, validate it into frozen typed
// resources, and report every issue with file, line and field path.
import { builtinKinds } from './kinds/index.ts';
import type { KindRegistry, Resource } from './kinds/index.ts';
import type { Issue } from './load/issue.ts';
import { readSources } from './load/source.ts';
import type { SourceText } from './load/source.ts';
import { parseSources } from './load/yaml.ts';
import { validateDocuments } from './schema/validate.ts';
import type { ValidateOptions } from './schema/validate.ts';

export * from './kinds/index.ts';
export * from './analyze/index.ts';
export type { Issue, Position, Severity } from './load/issue.ts';
export { formatIssue } from './load/issue.ts';
export type { SourceText } from './load/source.ts';
export { InputError, readSources } from './load/source.ts';
export { parseSources } from './load/yaml.ts';
export type { RawDocument } from './load/yaml.ts';
export { validateDocuments } from './schema/validate.ts';
export type { ValidateOptions, ValidationResult } from './schema/validate.ts';
export { parseDuration } from './schema/primitives.ts';
export type { DurationMs } from './schema/primitives.ts';

export interface LoadResult {
  readonly resources: readonly Resource[];
  readonly issues: readonly Issue[];
}

export interface LoadOptions extends ValidateOptions {
  readonly registry?: KindRegistry;
}

/** Parses and validates texts already in memory. */
export function loadTexts(sources: readonly SourceText[], options: LoadOptions = {}): LoadResult {
  const parsed = parseSources(sources);
  const validated = validateDocuments(parsed.documents, options.registry ?? builtinKinds(), options);
  // Report in reading order: by input file, then line (the sort is stable within a line).
  const fileOrder = new Map(sources.map((s, i) => [s.file, i]));
  const issues = [...parsed.issues, ...validated.issues].sort(
    (a, b) =>
      (fileOrder.get(a.file ?? '') ?? -1) - (fileOrder.get(b.file ?? '') ?? -1) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
  return { resources: validated.resources, issues };
}

/** Reads files, directories and "-" (stdin), then parses and validates every document. */
export function loadFiles(
  paths: readonly string[],
  options: LoadOptions & { stdin?: () => string } = {},
): LoadResult {
  return loadTexts(readSources(paths, options.stdin), options);
}

export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}
