// Shared by the analyzer tests: runs the analysis over fixture files, by default on top of
// Bookinfo as its samples deploy it (platform, gateway, destination rules, all routes to v1).
import { readFileSync } from 'node:fs';
import { analyzeTexts } from './index.ts';
import type { AnalysisMessage, AnalyzeOptions } from './index.ts';

export const FIXTURES = new URL('./fixtures/', import.meta.url);

export const BOOKINFO = [
  'bookinfo/bookinfo.yaml',
  'bookinfo/bookinfo-gateway.yaml',
  'bookinfo/destination-rule-all.yaml',
  'bookinfo/virtual-service-all-v1.yaml',
];

/** Analyses fixtures (paths relative to fixtures/), reporting on all namespaces unless told. */
export function analyzeFixtures(
  files: readonly string[],
  options: AnalyzeOptions = { allNamespaces: true },
): AnalysisMessage[] {
  const sources = files.map((f) => ({ file: f, text: readFileSync(new URL(f, FIXTURES), 'utf8') }));
  return [...analyzeTexts(sources, options).messages];
}

/** "IST0101 VirtualService default/reviews broken/x.yaml:12", the facts tests compare. */
export function summary(m: AnalysisMessage): string {
  const r = m.resource;
  const ns = r?.namespace ? `${r.namespace}/` : '';
  return `${m.code} ${r ? `${r.kind} ${ns}${r.name} ` : ''}${m.file}:${m.line}`;
}
