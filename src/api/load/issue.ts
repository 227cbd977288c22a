// A problem found in configuration input, located as precisely as the input allows.

export type Severity = 'error' | 'warning';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface Issue {
  readonly severity: Severity;
  /** Stable identifier of the rule, e.g. "unknown-field", "yaml-syntax", "invalid-duration". */
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Field path inside the document, e.g. spec.http[0].timeout. */
  readonly path?: string;
  /** kind/namespace/name of the resource, when known. */
  readonly resource?: string;
}

/** One line per issue, compiler style: file:line:col: severity: path: message (hint: …). */
export function formatIssue(issue: Issue): string {
  const where = issue.file
    ? `${issue.file}${issue.line ? `:${issue.line}` : ''}${issue.line && issue.column ? `:${issue.column}` : ''}: `
    : '';
  const res = issue.resource ? `${issue.resource}: ` : '';
  const path = issue.path ? `${issue.path}: ` : '';
  const hint = issue.hint ? `\n    hint: ${issue.hint}` : '';
  return `${where}${issue.severity}: ${res}${path}${issue.message}${hint}`;
}
