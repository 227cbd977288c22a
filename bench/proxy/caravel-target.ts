// Caravel's own sidecar as a benchmark target; it joins the table once the proxy can be started
// from a bootstrap.
import type { Target } from './targets.ts';

export async function extraTargets(): Promise<Target[]> {
  return [];
}
