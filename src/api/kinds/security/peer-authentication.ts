// security.istio.io PeerAuthentication: the mTLS mode workloads accept, for a mesh, a namespace or
// selected workloads, optionally per port (only with a selector, as Istio requires).
import { fail, workloadSelector, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

export const mutualTLS = z.strictObject({ mode: z.enum(MTLS_MODES).optional() });

export const peerAuthenticationSpec = z
  .strictObject({
    selector: workloadSelector.optional(),
    mtls: mutualTLS.optional(),
    /** Keyed by the workload's port number (the container port, not the Service port). */
    portLevelMtls: z.record(z.string(), mutualTLS).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.portLevelMtls === undefined) return;
    const ports = Object.keys(spec.portLevelMtls);
    if (Object.keys(spec.selector?.matchLabels ?? {}).length === 0) {
      fail(
        ctx,
        ['portLevelMtls'],
        'portLevelMtls requires a selector: a mesh-wide or namespace-wide policy cannot set mTLS per port',
        'missing-field',
        'add spec.selector.matchLabels choosing the workloads whose ports these are',
      );
    }
    if (ports.length === 0)
      fail(ctx, ['portLevelMtls'], 'portLevelMtls, when given, needs at least one port', 'missing-field');
    for (const p of ports) {
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)
        fail(
          ctx,
          ['portLevelMtls', p],
          `portLevelMtls key "${p}" must be a port number from 1 to 65535`,
          'invalid-port',
        );
    }
  });

export type MutualTLS = z.output<typeof mutualTLS>;
export type PeerAuthenticationSpec = z.output<typeof peerAuthenticationSpec>;
export type PeerAuthentication = Resource<'PeerAuthentication', { spec: PeerAuthenticationSpec }>;
