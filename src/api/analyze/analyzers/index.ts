// Every analyzer, registered from this one list; `caravel analyze --list-analyzers` shows it.
import type { Analyzer } from '../analyzer.ts';
import {
  conflictingDestinationRulesAnalyzer,
  destinationRuleHostAnalyzer,
  subsetSelectsPodsAnalyzer,
} from './destinationrule.ts';
import { gatewaySelectorAnalyzer } from './gateway.ts';
import { namespaceInjectionAnalyzer } from './injection.ts';
import { peerAuthenticationConflictAnalyzer } from './peerauthentication.ts';
import { destinationHostAnalyzer, gatewayReferenceAnalyzer, subsetReferenceAnalyzer } from './references.ts';
import { conflictingHostsAnalyzer, routeWeightAnalyzer, unreachableRuleAnalyzer } from './routing.ts';

export class AnalyzerRegistry {
  readonly #byName = new Map<string, Analyzer>();

  add(a: Analyzer): void {
    if (this.#byName.has(a.name)) throw new Error(`analyzer ${a.name} registered twice`);
    this.#byName.set(a.name, a);
  }

  all(): readonly Analyzer[] {
    return [...this.#byName.values()];
  }
}

export function registerAnalyzers(registry: AnalyzerRegistry): void {
  for (const a of [
    gatewayReferenceAnalyzer,
    destinationHostAnalyzer,
    subsetReferenceAnalyzer,
    routeWeightAnalyzer,
    unreachableRuleAnalyzer,
    conflictingHostsAnalyzer,
    destinationRuleHostAnalyzer,
    subsetSelectsPodsAnalyzer,
    conflictingDestinationRulesAnalyzer,
    gatewaySelectorAnalyzer,
    peerAuthenticationConflictAnalyzer,
    namespaceInjectionAnalyzer,
  ])
    registry.add(a);
}

let shared: AnalyzerRegistry | undefined;

/** The registry of all built-in analyzers (built once). */
export function builtinAnalyzers(): AnalyzerRegistry {
  if (!shared) {
    shared = new AnalyzerRegistry();
    registerAnalyzers(shared);
  }
  return shared;
}
