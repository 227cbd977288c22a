// The bootstrap each pod's proxy starts from: its identity as Istio spells it (node id, cluster,
// metadata), the control plane's address, and its own ports on the pod address.
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../common/index.ts';
import { caravelVersion } from '../../common/index.ts';
import type { PodInfo, ProxyMode } from '../pod.ts';

export const PROXY_ADMIN_PORT = 15000;
export const PROXY_READINESS_PORT = 15021;
export const PROXY_PROMETHEUS_PORT = 15090;

export interface BootstrapTarget {
  readonly xdsHost: string;
  readonly xdsPort: number;
  readonly domain?: string;
}

export function bootstrapFor(
  pod: PodInfo,
  mode: ProxyMode,
  target: BootstrapTarget,
): Record<string, unknown> {
  const domain = target.domain ?? 'cluster.local';
  return {
    node: {
      id: `${mode}~${pod.podIP}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.${domain}`,
      cluster: `${pod.deployment}.${pod.namespace}`,
      metadata: {
        NAME: pod.name,
        NAMESPACE: pod.namespace,
        LABELS: pod.labels,
        ANNOTATIONS: pod.annotations,
        SERVICE_ACCOUNT: pod.serviceAccount,
        INSTANCE_IPS: pod.podIP,
        INTERCEPTION_MODE: 'NONE',
        WORKLOAD_NAME: pod.deployment,
        ISTIO_VERSION: caravelVersion(),
        CLUSTER_ID: 'Kubernetes',
        MESH_ID: domain,
      },
    },
    xds: { address: `${target.xdsHost}:${target.xdsPort}` },
    admin: { address: `${pod.podIP}:${PROXY_ADMIN_PORT}` },
    readiness: { address: `${pod.podIP}:${PROXY_READINESS_PORT}` },
    prometheus: { address: `${pod.podIP}:${PROXY_PROMETHEUS_PORT}` },
  };
}

/** Writes the pod's bootstrap under the state directory and returns its path. */
export function writeBootstrap(
  stateDir: string,
  pod: PodInfo,
  mode: ProxyMode,
  target: BootstrapTarget,
): string {
  const file = join(stateDir, 'proxies', pod.namespace, `${pod.name}.json`);
  writeFileAtomicSync(file, `${JSON.stringify(bootstrapFor(pod, mode, target), null, 2)}\n`);
  return file;
}
