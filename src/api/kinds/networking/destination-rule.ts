// networking.istio.io DestinationRule: what happens to traffic for a host after routing — load
// balancing, circuit breaking, TLS — and the named subsets (versions) routes can pick.
import { fail, labels, workloadSelector, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { EVERY_ISSUE, exportTo, subsetName, tolerant } from './common.ts';
import { host } from './hosts.ts';
import { trafficPolicy } from './traffic-policy.ts';

export const subset = z.strictObject({
  name: subsetName,
  labels: labels.optional(),
  trafficPolicy: trafficPolicy.optional(),
});

export const destinationRuleSpec = z
  .strictObject({
    host: host({ wildcard: true }),
    trafficPolicy: trafficPolicy.optional(),
    subsets: z.array(subset).optional(),
    exportTo: exportTo().optional(),
    workloadSelector: workloadSelector.optional(),
  })
  .superRefine(
    tolerant((spec, ctx) => {
      const seen = new Map<string, number>();
      (spec.subsets ?? []).forEach((s, i) => {
        const first = seen.get(s.name);
        if (first !== undefined) {
          fail(
            ctx,
            ['subsets', i, 'name'],
            `subset "${s.name}" is already defined by subsets[${first}]`,
            'duplicate-name',
          );
        } else seen.set(s.name, i);
      });
      // A rule for chosen workloads only applies in its own namespace.
      const exports = spec.exportTo ?? [];
      if (spec.workloadSelector && (exports.length > 1 || exports.some((e) => e === '*' || e === '~'))) {
        fail(
          ctx,
          ['exportTo'],
          'a DestinationRule with a workloadSelector can only be exported to its own namespace',
          'conflicting-fields',
          'use exportTo: ["."] or leave it out',
        );
      }
    }),
    EVERY_ISSUE,
  );

export type Subset = z.output<typeof subset>;
export type DestinationRuleSpec = z.output<typeof destinationRuleSpec>;
export type DestinationRule = Resource<'DestinationRule', { spec: DestinationRuleSpec }>;
