// Kubernetes object metadata as users write it, plus the server-set fields that appear when a
// manifest was saved with `kubectl get -o yaml` (accepted and ignored).
import { annotations, dns1123Label, labels, z } from '../schema/primitives.ts';

export const objectMeta = z.strictObject({
  name: z.string({ error: 'metadata.name is required' }).min(1, 'metadata.name must not be empty'),
  namespace: dns1123Label('namespace').optional(),
  labels: labels.optional(),
  annotations: annotations.optional(),
  generateName: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.union([z.string(), z.null()]).optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().optional(),
  managedFields: z.array(z.unknown()).optional(),
  ownerReferences: z.array(z.unknown()).optional(),
  finalizers: z.array(z.string()).optional(),
  selfLink: z.string().optional(),
});

export interface ObjectMeta {
  readonly name: string;
  /** Always set for namespaced kinds once the resource is loaded; absent for cluster-scoped ones. */
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly uid?: string;
  readonly creationTimestamp?: string;
}

export interface SourceRef {
  readonly file: string;
  readonly line: number;
  /** The apiVersion the user wrote, before normalisation to the kind's preferred version. */
  readonly apiVersion: string;
}

/** A validated, frozen object of any kind. `Body` holds the kind's fields besides the envelope. */
export type Resource<Kind extends string = string, Body extends object = Record<string, unknown>> = {
  readonly apiVersion: string;
  readonly kind: Kind;
  readonly metadata: ObjectMeta;
  readonly source?: SourceRef;
} & { readonly [K in keyof Body]: Body[K] };
