// Public face of the config store: applied Istio and Kubernetes objects with versions and change
// events, kept in memory or in a state directory that several processes share.
export { DurableStore, openDurableStore } from './durable.ts';
export type { DurableStoreOptions } from './durable.ts';
export { ApplyRejectedError, LabelConflictError, StateLockedError, StateTooNewError } from './errors.ts';
export { StateCorruptError } from '../errors/index.ts';
export { readManifestFiles, readManifests } from './manifest.ts';
export type { Manifest, ManifestSet, ObjectJson, ReadOptions } from './manifest.ts';
export { MemoryStore } from './memory.ts';
export type { StoreOptions } from './memory.ts';
export { BUILTIN_NAMESPACES, notFoundMessage, objectKey, pluralName, refOf, typeName } from './names.ts';
export type { ObjectRef } from './names.ts';
export { SelectorSyntaxError, formatSelector, parseSelector } from './selector.ts';
export type { Selector } from './selector.ts';
export { STATE_FILE, STATE_FORMAT } from './state-file.ts';
export type {
  AppliedKeys,
  ApplyOutcome,
  ConfigStore,
  DeleteOutcome,
  LabelChange,
  LabelOutcome,
  ListQuery,
  StoreEntry,
  StoreEvent,
  StoreListener,
} from './store.ts';
