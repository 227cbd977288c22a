// Public face of the analyzers: semantic checks across resources, in the manner of
// `istioctl analyze`, with Istio's message codes, levels and output format.
import { builtinKinds } from '../kinds/index.ts';
import type { Resource } from '../kinds/meta.ts';
import type { Issue } from '../load/issue.ts';
import type { SourceText } from '../load/source.ts';
import { locate, parseSources } from '../load/yaml.ts';
import type { RawDocument } from '../load/yaml.ts';
import { validateDocuments } from '../schema/validate.ts';
import { runAnalyzers } from './analyzer.ts';
import type { Analyzer } from './analyzer.ts';
import { AnalysisContext, fullName } from './context.ts';
import type { AnalysisMessage, FieldLocator, ResourceRef } from './context.ts';
import { builtinAnalyzers } from './analyzers/index.ts';
import { msg } from './messages.ts';
import type { MessageText } from './messages.ts';

export type { Analyzer } from './analyzer.ts';
export { AnalysisContext } from './context.ts';
export type { AnalysisMessage, ResourceRef } from './context.ts';
export { AnalyzerRegistry, builtinAnalyzers, registerAnalyzers } from './analyzers/index.ts';
export { messageTypes } from './messages.ts';
export type { Level, MessageType } from './messages.ts';
export { BUILTIN_INGRESS_GATEWAY } from './workloads.ts';

export interface AnalyzeOptions {
  /** Namespace whose messages are reported (default "default"); ignored with allNamespaces. */
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
  /**
   * Whether the ingress gateway local mode runs by itself (namespace istio-system, labels
   * istio=ingressgateway, app=istio-ingressgateway) counts as a workload. Default true; set it
   * false where gateways are deployed from manifests, as in Kubernetes.
   */
  readonly builtinIngressGateway?: boolean;
  /** The mesh root namespace, home of mesh-wide policies (default istio-system). */
  readonly rootNamespace?: string;
  /** The parsed documents the resources came from, so messages can point at the exact field. */
  readonly documents?: readonly RawDocument[];
  /** The analyzers to run (default: all built-in ones). */
  readonly analyzers?: readonly Analyzer[];
}

function locator(documents: readonly RawDocument[]): FieldLocator {
  const byStart = new Map(documents.map((d) => [`${d.file}\0${d.line}`, d]));
  return (r, path) => {
    const doc = r.source && byStart.get(`${r.source.file}\0${r.source.line}`);
    return doc ? locate(doc, path)?.line : undefined;
  };
}

/** Keeps the last of resources with the same kind, namespace and name, as repeated applies would. */
function latest(resources: readonly Resource[]): Resource[] {
  const byKey = new Map<string, Resource>();
  for (const r of resources) {
    const key = `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
    byKey.delete(key);
    byKey.set(key, r);
  }
  return [...byKey.values()];
}

function inScope(m: AnalysisMessage, options: AnalyzeOptions): boolean {
  if (options.allNamespaces || !m.resource) return true;
  const ns = options.namespace ?? 'default';
  if (m.resource.kind === 'Namespace') return m.resource.name === ns;
  return m.resource.namespace === undefined || m.resource.namespace === ns;
}

/** Runs the analyzers over a set of resources; messages come sorted, errors first. */
export function analyze(resources: readonly Resource[], options: AnalyzeOptions = {}): AnalysisMessage[] {
  const ctx = new AnalysisContext(
    latest(resources),
    {
      rootNamespace: options.rootNamespace ?? 'istio-system',
      builtinIngressGateway: options.builtinIngressGateway ?? true,
    },
    locator(options.documents ?? []),
  );
  const messages = runAnalyzers(ctx, options.analyzers ?? builtinAnalyzers().all());
  return messages.filter((m) => inScope(m, options));
}

function issueResource(issue: Issue, defaultNamespace: string): ResourceRef | undefined {
  const m = issue.resource ? /^(\S+) (?:([^/]+)\/)?(.+)$/.exec(issue.resource) : null;
  if (!m) return undefined;
  const [, kind, ns, name] = m as unknown as [string, string, string | undefined, string];
  const namespaced = builtinKinds().byKind(kind)?.namespaced ?? true;
  return { kind, name, namespace: ns ?? (namespaced ? defaultNamespace : undefined) };
}

/** Validation issues as IST0106 SchemaValidationError (or IST0133 SchemaWarning) messages. */
function issueMessages(issues: readonly Issue[], defaultNamespace = 'default'): AnalysisMessage[] {
  return issues.map((issue) => {
    const detail = `${issue.path ? `${issue.path}: ` : ''}${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
    const m: MessageText =
      issue.severity === 'error' ? msg.schemaValidationError(detail) : msg.schemaWarning(detail);
    return {
      code: m.type.code,
      name: m.type.name,
      level: m.type.level,
      message: m.text,
      resource: issueResource(issue, defaultNamespace),
      file: issue.file,
      line: issue.line,
      analyzer: 'schema',
    };
  });
}

export interface TextAnalysis {
  readonly resources: readonly Resource[];
  readonly messages: readonly AnalysisMessage[];
}

/**
 * Parses, validates and analyses texts: documents that fail validation are reported as IST0106
 * and left out, and the analysis goes on with the valid ones.
 */
export function analyzeTexts(sources: readonly SourceText[], options: AnalyzeOptions = {}): TextAnalysis {
  const ns = options.namespace ?? 'default';
  const parsed = parseSources(sources);
  const validated = validateDocuments(parsed.documents, builtinKinds(), { defaultNamespace: ns });
  const schema = issueMessages([...parsed.issues, ...validated.issues], ns);
  const messages = analyze(validated.resources, { ...options, documents: parsed.documents });
  return { resources: validated.resources, messages: [...schema, ...messages] };
}

export function hasErrorMessages(messages: readonly AnalysisMessage[]): boolean {
  return messages.some((m) => m.level === 'Error');
}

/** "VirtualService default/reviews reviews.yaml:12", the part istioctl prints in parentheses. */
function messageOrigin(m: AnalysisMessage): string {
  const parts: string[] = [];
  if (m.resource) parts.push(`${m.resource.kind} ${fullName(m.resource)}`);
  if (m.file) parts.push(m.line ? `${m.file}:${m.line}` : m.file);
  return parts.join(' ');
}

/** One line, as istioctl prints it: Error [IST0101] (VirtualService default/reviews r.yaml:12) … */
export function formatMessage(m: AnalysisMessage): string {
  const origin = messageOrigin(m);
  return `${m.level} [${m.code}]${origin ? ` (${origin})` : ''} ${m.message}`;
}

/** The JSON form: one object per message, with the origin split into fields. */
export function messagesToJson(messages: readonly AnalysisMessage[]): object[] {
  return messages.map((m) => ({
    code: m.code,
    name: m.name,
    level: m.level,
    message: m.message,
    origin: messageOrigin(m),
    ...(m.resource ? { resource: m.resource } : {}),
    ...(m.file ? { file: m.file } : {}),
    ...(m.line ? { line: m.line } : {}),
    analyzer: m.analyzer,
  }));
}
