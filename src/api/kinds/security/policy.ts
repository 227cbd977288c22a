// What Istio's policy kinds share: the workload selector or target references that scope a
// policy, and the port-string and value-list checks of their rules.
import { fail, workloadSelector, z } from '../../schema/primitives.ts';

const ALLOWED_TARGETS = [
  { group: '', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
] as const;

/** A reference to the Service, ServiceEntry or Gateway a policy attaches to (same namespace). */
export const policyTargetRef = z
  .strictObject({
    group: z.string().optional(),
    kind: z.string().min(1, 'targetRef kind must not be empty'),
    name: z.string().min(1, 'targetRef name must not be empty').max(253),
    namespace: z.string().optional(),
  })
  .superRefine((ref, ctx) => {
    const group = ref.group === 'core' ? '' : (ref.group ?? '');
    if (!ALLOWED_TARGETS.some((t) => t.group === group && t.kind === ref.kind)) {
      fail(
        ctx,
        ['kind'],
        `a policy cannot target ${group ? `${group}/` : ''}${ref.kind}`,
        'invalid-value',
        'target a Service (group ""), a networking.istio.io ServiceEntry or a gateway.networking.k8s.io Gateway',
      );
    }
    if (ref.namespace)
      fail(
        ctx,
        ['namespace'],
        'targetRef namespace must not be set: cross-namespace references are not supported',
        'invalid-value',
      );
  });

export type PolicyTargetRef = z.output<typeof policyTargetRef>;

/** Fields every selector-scoped policy kind has. */
export const policyScope = {
  selector: workloadSelector.optional(),
  targetRef: policyTargetRef.optional(),
  targetRefs: z.array(policyTargetRef).max(16, 'at most 16 targetRefs').optional(),
};

/** Istio allows only one way of choosing workloads: selector, targetRef or targetRefs. */
export function checkPolicyScope(
  spec: { selector?: unknown; targetRef?: unknown; targetRefs?: readonly unknown[] },
  ctx: z.RefinementCtx,
): void {
  const set = (['selector', 'targetRef', 'targetRefs'] as const).filter((f) =>
    f === 'targetRefs' ? (spec.targetRefs?.length ?? 0) > 0 : spec[f] !== undefined,
  );
  if (set.length > 1)
    fail(
      ctx,
      [set[1]!],
      `only one of selector, targetRef or targetRefs may be set, not ${set.join(' and ')}`,
      'conflicting-fields',
    );
}

/** A port number written as a string, as authorization rules take them ("8080"). */
export const portString = z
  .string({ error: 'ports are written as strings here: quote the number, as in "8080"' })
  .superRefine((p, ctx) => {
    if (!/^\d+$/.test(p) || Number(p) > 65535)
      fail(
        ctx,
        [],
        `"${p}" is not a port: write a number from 0 to 65535 as a string, such as "8080"`,
        'invalid-port',
      );
  });

/** A list of non-empty strings (Istio refuses empty entries in policy value lists). */
export const nonEmptyStrings = (what: string) =>
  z.array(z.string().min(1, `${what} must not contain empty values`));
