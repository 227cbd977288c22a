// Field types shared by every kind's schema, with Istio's validation rules. Schemas are zod
// schemas so that the typed model of each kind is inferred from its one definition.
import { z } from 'zod';
import { RE2 } from 're2-wasm';
import { parseDuration } from './duration.ts';

export { z };
export { parseDuration };

/** Milliseconds; durations are normalised to this at the boundary. */
export type DurationMs = number;

/** A duration such as "2s" or "500ms", at least `minMs` (Istio requires ≥ 1ms for most fields). */
export function duration(options: { minMs?: number; maxMs?: number } = {}) {
  const minMs = options.minMs ?? 1;
  return z
    .string({ error: 'must be a duration such as "2s", "500ms" or "1m"' })
    .transform((text, ctx): DurationMs => {
      const ms = parseDuration(text.trim());
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${text}" is not a duration: write a number with a unit (h, m, s, ms), such as "2s" or "500ms"`,
          params: { rule: 'invalid-duration' },
        });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({
          code: 'custom',
          message: `duration "${text}" is too short: it must be at least ${minMs}ms`,
          params: { rule: 'invalid-duration' },
        });
      }
      if (options.maxMs !== undefined && ms > options.maxMs) {
        ctx.addIssue({
          code: 'custom',
          message: `duration "${text}" is too long: it must be at most ${options.maxMs}ms`,
          params: { rule: 'invalid-duration' },
        });
      }
      return ms;
    });
}

/** Istio's Percent message: `{ value: 0..100 }`. */
export const percent = z.strictObject({
  value: z
    .number()
    .min(0, 'percentage must be between 0 and 100')
    .max(100, 'percentage must be between 0 and 100'),
});

/** A whole number in [min, max]. */
export function int(min: number, max: number, what = 'value') {
  return z
    .number({ error: `${what} must be a whole number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`);
}

export const portNumber = int(1, 65535, 'port number');
export const uint32 = int(0, 4294967295);
export const int32 = int(-2147483648, 2147483647);
export const nonNegativeInt = int(0, Number.MAX_SAFE_INTEGER);

/** An HTTP status code that a response can carry. */
export const httpStatus = int(200, 599, 'HTTP status');

export function isRe2(pattern: string): string | undefined {
  try {
    new RE2(pattern, 'u');
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^Invalid regular expression: \/.*\/u: /, '');
  }
}

/** A regular expression in RE2 syntax, as Envoy evaluates it (no lookaround, no backreferences). */
export const re2 = z.string().superRefine((pattern, ctx) => {
  const problem = isRe2(pattern);
  if (problem !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${pattern}" is not a valid RE2 regular expression: ${problem}`,
      params: { rule: 'invalid-regex' },
    });
  }
});

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An HTTP header name; Istio matches them lower-cased, so upper case is refused. */
export const headerName = z.string().superRefine((name, ctx) => {
  if (!TOKEN.test(name)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${name}" is not a valid HTTP header name`,
      params: { rule: 'invalid-header' },
    });
  } else if (name !== name.toLowerCase()) {
    ctx.addIssue({
      code: 'custom',
      message: `header name "${name}" must be lower case`,
      params: { rule: 'invalid-header', hint: `write "${name.toLowerCase()}"` },
    });
  }
});

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function dns1123Label(what: string) {
  return z.string().superRefine((s, ctx) => {
    if (s.length > 63 || !DNS1123_LABEL.test(s)) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} "${s}" must be at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit`,
        params: { rule: 'invalid-name' },
      });
    }
  });
}

export function dns1123Subdomain(what: string) {
  return z.string().superRefine((s, ctx) => {
    if (s.length > 253 || !DNS1123_SUBDOMAIN.test(s)) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} "${s}" must be lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`,
        params: { rule: 'invalid-name' },
      });
    }
  });
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$/;

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key "${key}" has an invalid prefix "${prefix}" (a DNS subdomain is required)`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key "${key}" must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Kubernetes labels: valid keys, string values of at most 63 characters. */
export const labels = z
  .record(z.string(), z.string({ error: 'label values must be strings (quote numbers and booleans)' }))
  .superRefine((map, ctx) => {
    for (const [k, v] of Object.entries(map)) {
      const problem = labelKeyProblem(k);
      if (problem)
        ctx.addIssue({ code: 'custom', message: problem, path: [k], params: { rule: 'invalid-label' } });
      if (typeof v === 'string' && (v.length > 63 || !LABEL_VALUE.test(v))) {
        ctx.addIssue({
          code: 'custom',
          message: `label value "${v}" must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
          path: [k],
          params: { rule: 'invalid-label' },
        });
      }
    }
  });

/** Annotations: any string keys and values. */
export const annotations = z.record(z.string(), z.string({ error: 'annotation values must be strings' }));

/** Istio's WorkloadSelector: `{ matchLabels }`. */
export const workloadSelector = z.strictObject({ matchLabels: labels.optional() });

/** Adds a rule-tagged error from a refinement; `rule` becomes the issue's code. */
export function fail(
  ctx: z.RefinementCtx,
  path: (string | number)[],
  message: string,
  rule: string,
  hint?: string,
): void {
  ctx.addIssue({ code: 'custom', message, path, params: { rule, hint } });
}

/** Exactly one of `fields` must be set (proto oneof with a required choice). */
export function exactlyOne(
  value: Record<string, unknown>,
  fields: readonly string[],
  ctx: z.RefinementCtx,
  what: string,
) {
  const set = fields.filter((f) => value[f] !== undefined);
  if (set.length === 0)
    fail(ctx, [], `${what} needs one of ${fields.map((f) => `"${f}"`).join(', ')}`, 'missing-field');
  else if (set.length > 1) {
    fail(
      ctx,
      [set[1]!],
      `${what} takes only one of ${set.map((f) => `"${f}"`).join(' and ')}`,
      'conflicting-fields',
    );
  }
}

/** At most one of `fields` may be set (proto oneof). */
export function atMostOne(
  value: Record<string, unknown>,
  fields: readonly string[],
  ctx: z.RefinementCtx,
  what: string,
) {
  const set = fields.filter((f) => value[f] !== undefined);
  if (set.length > 1) {
    fail(
      ctx,
      [set[1]!],
      `${what} takes only one of ${set.map((f) => `"${f}"`).join(' and ')}`,
      'conflicting-fields',
    );
  }
}
