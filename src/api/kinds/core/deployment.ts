// apps/v1 Deployment: replicas of a pod template, selected by labels, rolled out by a strategy.
// The selector must match the template's labels, as the API server insists.
import { fail, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { intOrPercent, nonNegativeInt32 } from './fields.ts';
import { podTemplateSpec } from './pod.ts';
import { isEmptySelector, isWellFormedSelector, labelSelector, unmetRequirement } from './selector.ts';

const isZero = (v: number | string | undefined): boolean => v === 0 || v === '0%';

export const deploymentStrategy = z
  .strictObject({
    type: z.enum(['RollingUpdate', 'Recreate']).optional(),
    rollingUpdate: z
      .strictObject({ maxUnavailable: intOrPercent.optional(), maxSurge: intOrPercent.optional() })
      .superRefine((r, ctx) => {
        if (typeof r.maxUnavailable === 'string' && Number.parseInt(r.maxUnavailable, 10) > 100)
          fail(ctx, ['maxUnavailable'], 'maxUnavailable must not be more than 100%', 'invalid-value');
        if (isZero(r.maxUnavailable) && isZero(r.maxSurge))
          fail(ctx, ['maxUnavailable'], 'maxUnavailable and maxSurge may not both be 0', 'invalid-value');
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.type === 'Recreate' && s.rollingUpdate)
      fail(
        ctx,
        ['rollingUpdate'],
        'rollingUpdate may not be set when the strategy type is Recreate',
        'conflicting-fields',
      );
  });

export const deploymentSpec = z
  .strictObject({
    replicas: nonNegativeInt32.optional(),
    selector: labelSelector,
    template: podTemplateSpec,
    strategy: deploymentStrategy.optional(),
    minReadySeconds: nonNegativeInt32.optional(),
    revisionHistoryLimit: nonNegativeInt32.optional(),
    progressDeadlineSeconds: nonNegativeInt32.optional(),
    paused: z.boolean().optional(),
  })
  .superRefine((spec, ctx) => {
    if (isEmptySelector(spec.selector)) {
      fail(
        ctx,
        ['selector'],
        'a Deployment needs a non-empty selector',
        'missing-field',
        'select the pods by the labels of spec.template.metadata.labels',
      );
    } else if (isWellFormedSelector(spec.selector)) {
      const unmet = unmetRequirement(spec.selector, spec.template.metadata?.labels ?? {});
      if (unmet)
        fail(
          ctx,
          ['template', 'metadata', 'labels'],
          `selector does not match template labels: the selector requires ${unmet}`,
          'selector-mismatch',
          'every pod a Deployment creates must carry the labels its spec.selector asks for',
        );
    }
    const restart = spec.template.spec.restartPolicy;
    if (restart !== undefined && restart !== 'Always')
      fail(
        ctx,
        ['template', 'spec', 'restartPolicy'],
        `a Deployment's pods must have restartPolicy Always, not ${restart}`,
        'invalid-value',
      );
    if (spec.template.spec.activeDeadlineSeconds !== undefined)
      fail(
        ctx,
        ['template', 'spec', 'activeDeadlineSeconds'],
        'activeDeadlineSeconds is not supported in a Deployment',
        'invalid-value',
      );
    if (
      spec.progressDeadlineSeconds !== undefined &&
      spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)
    )
      fail(
        ctx,
        ['progressDeadlineSeconds'],
        'progressDeadlineSeconds must be greater than minReadySeconds',
        'invalid-value',
      );
  });

export type DeploymentStrategy = z.output<typeof deploymentStrategy>;
export type DeploymentSpec = z.output<typeof deploymentSpec>;
export type Deployment = Resource<'Deployment', { spec: DeploymentSpec }>;
