// What `get` shows of the running mesh: pods from the runtime's pod table (they are not config),
// and Deployment status (ready, up-to-date, available) counted from those pods.
import type { Resource } from '../api/index.ts';
import type { StoreEntry } from '../config/index.ts';
import type { ObjectJson } from '../config/index.ts';
import { readPodTable, runtimeAlive } from '../runtime/index.ts';
import type { PodRecord } from '../runtime/index.ts';

/** Pods of a running mesh; none when no mesh runs from this state directory. */
export function livePods(stateDir: string): readonly PodRecord[] {
  const table = readPodTable(stateDir);
  return table && runtimeAlive(table) ? table.pods : [];
}

function podObject(p: PodRecord): ObjectJson {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      labels: p.labels,
      creationTimestamp: new Date(p.createdAt).toISOString(),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${p.deployment}-${p.hash}` }],
    },
    spec: {
      serviceAccountName: p.serviceAccount,
      containers: p.containers.map((c) => ({ name: c.name, image: c.image })),
    },
    status: {
      // kubectl's STATUS column shows the reason (CrashLoopBackOff, …) where there is one.
      phase: p.reason || p.phase,
      podIP: p.podIP,
      containerStatuses: p.containers.map((c) => ({
        name: c.name,
        image: c.image,
        ready: c.ready,
        restartCount: c.restarts,
      })),
    },
  } as unknown as ObjectJson;
}

/** Store-entry shaped rows for the pods that match, so `get pods` renders them like any kind. */
export function podEntries(
  pods: readonly PodRecord[],
  query: {
    namespace?: string;
    names?: readonly string[];
    matches?: (labels: Readonly<Record<string, string>>) => boolean;
  },
): StoreEntry[] {
  return pods
    .filter((p) => query.namespace === undefined || p.namespace === query.namespace)
    .filter((p) => !query.names || query.names.includes(p.name))
    .filter((p) => !query.matches || query.matches(p.labels))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((p) => {
      const object = podObject(p);
      return {
        resource: object as unknown as Resource,
        object,
        applied: { labels: [], annotations: [] },
      };
    });
}

/** The Deployment as stored, with status counted from the live pods of its current template. */
export function withDeploymentStatus(entry: StoreEntry, pods: readonly PodRecord[]): StoreEntry {
  const { name, namespace } = entry.resource.metadata;
  const mine = pods.filter((p) => p.namespace === namespace && p.deployment === name);
  const ready = mine.filter((p) => p.ready).length;
  const object = {
    ...entry.object,
    status: {
      replicas: mine.length,
      readyReplicas: ready,
      updatedReplicas: mine.length,
      availableReplicas: ready,
    },
  } as ObjectJson;
  return { ...entry, object };
}
