// The environment a pod's container runs with: a little of the host's (PATH, HOME, locale), the
// catalogue's env for the image, the pod's identity (HOST, PORT, POD_NAME, …), the HTTP proxy
// through the pod's sidecar, and last the container's own env (valueFrom fields filled in for this
// pod, $(VAR) references expanded as Kubernetes does).
import type { ContainerPlan, PodTemplatePlan } from './pod-plan.ts';

/** Ports of a sidecar on its pod address (Istio's numbers). */
export const SIDECAR_PORTS = Object.freeze({
  admin: 15000,
  outbound: 15001,
  inbound: 15006,
  readiness: 15021,
  prometheus: 15090,
});

/** Host variables a container keeps; everything else of the host stays out, as in a container. */
export const HOST_ENV_KEPT = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TERM'] as const;

export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly podIP: string;
  readonly appAddress: string;
  readonly uid: string;
}

export function hostEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of HOST_ENV_KEPT) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

function fieldValue(path: string, plan: PodTemplatePlan, pod: PodIdentity): string {
  switch (path) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'metadata.uid':
      return pod.uid;
    case 'status.podIP':
    case 'status.podIPs':
      return pod.podIP;
    case 'status.hostIP':
      return '127.0.0.1';
    case 'spec.nodeName':
      return 'localhost';
    case 'spec.serviceAccountName':
      return plan.serviceAccount;
  }
  const m = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  return (m?.[1] === 'labels' ? plan.labels : plan.annotations)[m?.[2] ?? ''] ?? '';
}

/** $(VAR) → the value of VAR defined so far; $$(VAR) → the literal $(VAR); unknown names stay. */
function expand(value: string, defined: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) =>
    name === undefined ? '$' : (defined[name] ?? all),
  );
}

/** The proxy variables that send a process's HTTP calls through the pod's sidecar. */
export function proxyEnv(pod: Pick<PodIdentity, 'podIP' | 'appAddress'>): Record<string, string> {
  const proxy = `http://${pod.podIP}:${SIDECAR_PORTS.outbound}`;
  const noProxy = ['localhost', '127.0.0.1', '::1', pod.podIP, pod.appAddress].join(',');
  return { HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY: noProxy, no_proxy: noProxy };
}

export function containerEnv(
  plan: PodTemplatePlan,
  container: ContainerPlan,
  pod: PodIdentity,
  host: Readonly<Record<string, string>>,
): Record<string, string> {
  const port = container.ports[0]?.containerPort;
  const env: Record<string, string> = {
    ...host,
    ...container.imageEnv,
    HOSTNAME: pod.name,
    HOST: pod.appAddress,
    ...(port !== undefined ? { PORT: String(port) } : {}),
    POD_NAME: pod.name,
    POD_NAMESPACE: pod.namespace,
    POD_IP: pod.podIP,
    INSTANCE_IP: pod.podIP,
    SERVICE_ACCOUNT: plan.serviceAccount,
    ...(plan.sidecar ? proxyEnv(pod) : {}),
  };
  for (const e of container.env)
    env[e.name] = 'value' in e ? expand(e.value, env) : fieldValue(e.fieldPath, plan, pod);
  return env;
}
