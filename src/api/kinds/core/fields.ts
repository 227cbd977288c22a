// Field types Kubernetes validates the same way in every core kind: port names (IANA service
// names), int-or-string ports, resource quantities and int-or-percent values.
import { fail, int, portNumber, z } from '../../schema/primitives.ts';

/** Why `name` is not an IANA service name (a container port name), or undefined when it is. */
function portNameProblem(name: string): string | undefined {
  if (name.length > 15) return `port name "${name}" must be at most 15 characters`;
  if (!/^[-a-z0-9]+$/.test(name))
    return `port name "${name}" must contain only lower-case letters, digits and "-"`;
  if (!/[a-z]/.test(name)) return `port name "${name}" must contain at least one letter`;
  if (name.includes('--')) return `port name "${name}" must not contain consecutive hyphens`;
  if (name.startsWith('-') || name.endsWith('-'))
    return `port name "${name}" must not begin or end with a hyphen`;
  return undefined;
}

/** A named port as a container declares it (IANA_SVC_NAME). */
export const portName = z.string().superRefine((name, ctx) => {
  const problem = portNameProblem(name);
  if (problem) fail(ctx, [], problem, 'invalid-name');
});

/** A port given by number or by the name of a container port (Service targetPort, probes). */
export const intOrPortName = z.union([portNumber, portName], {
  error: 'must be a port number or the name of a container port',
});

/** Non-negative whole seconds/counts as Kubernetes' int32 fields take them. */
export const nonNegativeInt32 = int(0, 2147483647);
export const positiveInt32 = int(1, 2147483647);

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a Kubernetes quantity ("500m", "128Mi", "1e3", 2), or undefined when malformed. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  const suffix = m[2];
  if (suffix === undefined) return base;
  if (suffix[0] === 'e' || suffix[0] === 'E') return base * 10 ** Number(suffix.slice(1));
  return base * SUFFIX[suffix]!;
}

/** A resource quantity such as "250m", "64Mi" or 1; negative amounts are refused. */
export const quantity = z
  .union([z.string(), z.number()], { error: 'must be a quantity such as "500m", "128Mi" or 2' })
  .superRefine((q, ctx) => {
    const v = parseQuantity(q);
    if (v === undefined) {
      fail(
        ctx,
        [],
        `"${q}" is not a quantity: write a number with an optional suffix, such as "500m", "128Mi" or "2"`,
        'invalid-quantity',
      );
    } else if (v < 0) fail(ctx, [], `quantity "${q}" must not be negative`, 'invalid-quantity');
  });

/** An absolute count or a percentage string ("25%"), as rolling-update limits take them. */
export const intOrPercent = z.union(
  [
    int(0, 2147483647, 'value'),
    z.string().regex(/^\d+%$/, 'must be a whole number or a percentage such as "25%"'),
  ],
  { error: 'must be a whole number or a percentage such as "25%"' },
);

/** Protocols a Kubernetes port may carry. */
export const portProtocol = z.enum(['TCP', 'UDP', 'SCTP']);

/** Reports a duplicate of `key(item)` at `path(index)` for every repeated value in `items`. */
export function checkUnique<T>(
  items: readonly T[],
  key: (item: T) => string | undefined,
  ctx: z.RefinementCtx,
  at: (index: number) => (string | number)[],
  what: string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else fail(ctx, at(i), `${what} "${k}" appears twice (first at index ${first})`, 'duplicate-name');
  });
}
