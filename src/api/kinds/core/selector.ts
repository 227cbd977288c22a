// Kubernetes label selectors (matchLabels + matchExpressions) and how they match a label set.
import { fail, labelKeyProblem, labels, z } from '../../schema/primitives.ts';

const LABEL_VALUE = /^(([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$/;

export const labelSelectorRequirement = z
  .strictObject({
    key: z.string().superRefine((k, ctx) => {
      const problem = labelKeyProblem(k);
      if (problem) fail(ctx, [], problem, 'invalid-label');
    }),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: z
      .array(
        z.string().superRefine((v, ctx) => {
          if (v.length > 63 || !LABEL_VALUE.test(v))
            fail(
              ctx,
              [],
              `label value "${v}" must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
              'invalid-label',
            );
        }),
      )
      .optional(),
  })
  .superRefine((r, ctx) => {
    const n = r.values?.length ?? 0;
    if ((r.operator === 'In' || r.operator === 'NotIn') && n === 0)
      fail(ctx, ['values'], `values are required when operator is ${r.operator}`, 'missing-field');
    if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0)
      fail(ctx, ['values'], `values must be empty when operator is ${r.operator}`, 'conflicting-fields');
  });

export const labelSelector = z.strictObject({
  matchLabels: labels.optional(),
  matchExpressions: z.array(labelSelectorRequirement).optional(),
});

export type LabelSelector = z.output<typeof labelSelector>;
export type LabelSelectorRequirement = z.output<typeof labelSelectorRequirement>;

/** True when `selector` selects nothing-in-particular (no labels, no expressions). */
export function isEmptySelector(selector: LabelSelector): boolean {
  return (
    Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions?.length ?? 0) === 0
  );
}

/** Whether every requirement is well formed (values given exactly when the operator needs them). */
export function isWellFormedSelector(selector: LabelSelector): boolean {
  return (selector.matchExpressions ?? []).every(
    (r) => (r.values?.length ?? 0) > 0 === (r.operator === 'In' || r.operator === 'NotIn'),
  );
}

/** The first requirement of `selector` that `set` fails, in words ("app=v2, but the labels have app=v1"). */
export function unmetRequirement(
  selector: LabelSelector,
  set: Readonly<Record<string, string>>,
): string | undefined {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (set[k] === v) continue;
    return Object.hasOwn(set, k)
      ? `${k}=${v}, but the labels have ${k}=${set[k]}`
      : `${k}=${v}, but the labels have no ${k}`;
  }
  const r = (selector.matchExpressions ?? []).find((e) => !selectorMatches({ matchExpressions: [e] }, set));
  return r && `${r.key} ${r.operator}${r.values?.length ? ` (${r.values.join(', ')})` : ''}`;
}

/** Whether a label set satisfies a selector, with Kubernetes' semantics (an empty selector matches all). */
export function selectorMatches(selector: LabelSelector, set: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (set[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(set, r.key);
    const inValues = has && (r.values ?? []).includes(set[r.key]!);
    switch (r.operator) {
      case 'In':
        if (!inValues) return false;
        break;
      case 'NotIn':
        if (inValues) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
