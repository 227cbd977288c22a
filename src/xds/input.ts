// What the control plane reads config from: a snapshot of resources plus change notifications.
// The config store (src/config: MemoryStore, DurableStore) satisfies this interface as it is, so
// `startControlPlane({ config: store })` wires it; anything else (a Kubernetes watch, say) only
// needs `list()` and `subscribe()`.
//
// Contract: `list()` returns every resource currently held (all kinds); `subscribe()` calls the
// listener once per created, updated or deleted resource, synchronously after the change, and
// returns the function that stops it. The control plane reads `list()` again after a burst of
// events and uses the events only to decide which proxies to push to and what.
import type { Resource } from '../api/index.ts';

export interface ConfigEvent {
  readonly type: 'created' | 'updated' | 'deleted';
  /** The new object, or for `deleted` the object as it was. */
  readonly resource: Resource;
  /** For `updated`, the object before the change. */
  readonly previous?: Resource;
}

export interface ConfigInput {
  list(): readonly Resource[];
  subscribe(listener: (event: ConfigEvent) => void): () => void;
}
