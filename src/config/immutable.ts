// Fields Kubernetes refuses to change once an object exists, with a message that says why and what
// the user most likely meant.
import { isDeepStrictEqual } from 'node:util';
import { formatSelector } from './selector.ts';
import type { Selector } from './selector.ts';
import type { ObjectJson } from './manifest.ts';

export interface ImmutableViolation {
  /** Dotted field path, e.g. spec.selector. */
  readonly path: string;
  readonly message: string;
  readonly hint: string;
}

interface ImmutableRule {
  readonly kind: string;
  readonly path: readonly string[];
  /** Only compare when both sides set the field (server-allocated fields such as clusterIP). */
  readonly onlyWhenBothSet?: boolean;
  explain(name: string, before: unknown, after: unknown): string;
}

function at(object: unknown, path: readonly string[]): unknown {
  let v = object;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** A name for the new object built from what changed: appv1 whose selector moved v1 → v2 gives appv2. */
function suggestName(name: string, before: Selector, after: Selector): string | undefined {
  for (const [k, v] of Object.entries(after.matchLabels ?? {})) {
    const old = before.matchLabels?.[k];
    if (old !== undefined && old !== v && old !== '' && name.includes(old)) return name.replace(old, v);
  }
  return undefined;
}

const RULES: readonly ImmutableRule[] = [
  {
    kind: 'Deployment',
    path: ['spec', 'selector'],
    explain(name, before, after) {
      const b = (before ?? {}) as Selector;
      const a = (after ?? {}) as Selector;
      const guess = suggestName(name, b, a);
      return (
        `field is immutable: Deployment "${name}" already selects pods with ${formatSelector(b) || '(nothing)'}, ` +
        `and a Deployment's selector cannot change (to ${formatSelector(a) || '(nothing)'}). ` +
        `A new name${guess ? ` (such as "${guess}")` : ''} was probably meant`
      );
    },
  },
  {
    kind: 'Service',
    path: ['spec', 'clusterIP'],
    onlyWhenBothSet: true,
    explain: (name, before, after) =>
      `field is immutable: Service "${name}" has clusterIP ${String(before)}; it cannot change to ${String(after)}`,
  },
];

/** Every immutable field that `after` would change on the stored `before`. */
export function immutableViolations(before: ObjectJson, after: ObjectJson): ImmutableViolation[] {
  const out: ImmutableViolation[] = [];
  const name = String(after.metadata.name);
  for (const rule of RULES) {
    if (rule.kind !== after.kind) continue;
    const b = at(before, rule.path);
    const a = at(after, rule.path);
    if (rule.onlyWhenBothSet && (b === undefined || a === undefined)) continue;
    if (isDeepStrictEqual(b, a)) continue;
    const kind = after.kind.toLowerCase();
    out.push({
      path: rule.path.join('.'),
      message: rule.explain(name, b, a),
      hint: `to run both, give the new one another metadata.name; to replace it, run "caravel delete ${kind} ${name}${after.metadata.namespace ? ` -n ${String(after.metadata.namespace)}` : ''}" first, then apply`,
    });
  }
  return out;
}
