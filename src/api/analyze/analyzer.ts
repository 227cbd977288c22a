// The analyzer contract, and the run that feeds every analyzer one context and returns its
// messages deduplicated, filtered to the namespaces asked for, and sorted.
import type { AnalysisContext, AnalysisMessage } from './context.ts';
import type { Level } from './messages.ts';

export interface Analyzer {
  /** Dotted name, Istio style: virtualservice.GatewayAnalyzer. */
  readonly name: string;
  readonly description: string;
  /** Kinds the analyzer reads. */
  readonly inputs: readonly string[];
  analyze(ctx: AnalysisContext): void;
}

const LEVEL_ORDER: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };

function origin(m: AnalysisMessage): string {
  const r = m.resource;
  return r ? `${r.kind}/${r.namespace ?? ''}/${r.name}` : '';
}

/** Errors first, then by code, resource, file position and text. */
export function compareMessages(a: AnalysisMessage, b: AnalysisMessage): number {
  return (
    LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
    a.code.localeCompare(b.code) ||
    origin(a).localeCompare(origin(b)) ||
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    a.message.localeCompare(b.message)
  );
}

export function runAnalyzers(ctx: AnalysisContext, analyzers: readonly Analyzer[]): AnalysisMessage[] {
  for (const a of analyzers) ctx.within(a.name, () => a.analyze(ctx));
  const seen = new Set<string>();
  const out: AnalysisMessage[] = [];
  for (const m of ctx.messages) {
    const key = `${m.code}\0${origin(m)}\0${m.line ?? ''}\0${m.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out.sort(compareMessages);
}
