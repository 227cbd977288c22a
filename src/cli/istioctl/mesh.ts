// How proxy-status and proxy-config reach the running local mesh: <stateDir>/mesh.json names the
// control plane's ports, the pod table names each pod's address, and every sidecar's admin API
// listens on its pod address at 15000, as in Kubernetes.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { CaravelError } from '../../errors/index.ts';
import { MESH_INFO_FILE, PodNotFoundError, readPodTable, resolvePod } from '../../runtime/index.ts';
import type { MeshInfo, PodRecord, PodTable } from '../../runtime/index.ts';
import { processAlive } from '../../common/index.ts';

export const PROXY_ADMIN_PORT = 15000;
const REQUEST_TIMEOUT_MS = 5000;

export class MeshNotRunningError extends CaravelError {
  constructor(cause?: unknown) {
    super('MESH_NOT_RUNNING', 'the mesh is not running (start it with caravel up)', { cause });
  }
}

/** The control plane or a proxy did not answer, or answered with an error. */
export class MeshRequestError extends CaravelError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('MESH_REQUEST_FAILED', message, { hint, cause });
  }
}

/** The running mesh of a state directory; MeshNotRunningError when there is none. */
export function readMeshInfo(stateDir: string): MeshInfo {
  let info: Partial<MeshInfo>;
  try {
    info = JSON.parse(readFileSync(join(stateDir, MESH_INFO_FILE), 'utf8')) as Partial<MeshInfo>;
  } catch (e) {
    throw new MeshNotRunningError(e);
  }
  if (typeof info.pid !== 'number' || typeof info.monitoringPort !== 'number' || !processAlive(info.pid))
    throw new MeshNotRunningError();
  return info as MeshInfo;
}

/** GET a JSON (or text) document over plain HTTP on loopback, without keeping the connection. */
function httpGet(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
  });
}

async function getJson(
  what: string,
  host: string,
  port: number,
  path: string,
  hint: string,
): Promise<unknown> {
  let res: { status: number; body: string };
  try {
    res = await httpGet(host, port, path);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new MeshRequestError(`cannot reach ${what} at ${host}:${port} (${reason})`, hint, e);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch (e) {
    throw new MeshRequestError(`${what} answered ${path} with something other than JSON`, hint, e);
  }
  if (res.status !== 200) {
    const error =
      body && typeof body === 'object' && 'error' in body ? String(body.error) : `status ${res.status}`;
    throw new MeshRequestError(`${what}: ${error}`, hint);
  }
  return body;
}

/** A document from the control plane's monitoring port (/debug/syncz, /debug/config_dump, /version). */
export function controlPlaneGet(info: MeshInfo, path: string): Promise<unknown> {
  return getJson(
    'the control plane',
    '127.0.0.1',
    info.monitoringPort,
    path,
    'check that caravel up is still running',
  );
}

/** A document from a pod's sidecar admin API (/config_dump, /clusters?format=json). */
export function proxyAdminGet(pod: PodRecord, path: string): Promise<unknown> {
  return getJson(
    `the proxy of ${pod.name}.${pod.namespace}`,
    pod.podIP,
    PROXY_ADMIN_PORT,
    path,
    `caravel logs ${pod.name} -n ${pod.namespace} -c istio-proxy shows why`,
  );
}

/** The runtime's pod table; empty before the runtime has written one. */
export function podTable(stateDir: string): PodTable {
  return readPodTable(stateDir) ?? { runtime: { pid: 0, startedAt: 0 }, updatedAt: 0, pods: [], errors: [] };
}

const DEPLOYMENT = /^(deploy|deployment|deployments)(\.apps)?\//;

/** The pod named `name` in `ns`, or the only one whose name starts with it. */
function podByName(pods: readonly PodRecord[], name: string, ns: string): PodRecord {
  const inNs = pods.filter((p) => p.namespace === ns);
  const exact = inNs.find((p) => p.name === name);
  if (exact) return exact;
  const prefixed = inNs.filter((p) => p.name.startsWith(name));
  if (prefixed.length > 1)
    throw new PodNotFoundError(
      `pod name prefix "${name}" matches ${prefixed.length} pods in namespace "${ns}"`,
      `name one of: ${prefixed.map((p) => p.name).join(', ')}`,
    );
  if (prefixed[0]) return prefixed[0];
  const elsewhere = pods.find((p) => p.name.startsWith(name));
  throw new PodNotFoundError(
    `pods "${name}" not found`,
    elsewhere
      ? `it is in namespace ${elsewhere.namespace}: add -n ${elsewhere.namespace} or write ${elsewhere.name}.${elsewhere.namespace}`
      : `pods in namespace "${ns}": ${inNs.map((p) => p.name).join(', ') || 'none'} (caravel get pods -A lists all)`,
  );
}

/**
 * The pod a proxy-status / proxy-config argument names: POD, POD.NAMESPACE, pod/POD, deploy/NAME or
 * a prefix of exactly one pod's name (istioctl's forms). The pod must run a proxy.
 */
export function resolveProxyPod(table: PodTable, target: string, namespace: string | undefined): PodRecord {
  const pods = table.pods;
  let ns = namespace ?? 'default';
  let name = target.replace(/^(pod|pods|po)\//, '');
  const deployment = DEPLOYMENT.exec(name)?.[0];
  if (deployment) name = name.slice(deployment.length);
  const dot = name.lastIndexOf('.');
  if (dot > 0 && !pods.some((p) => p.name === name && p.namespace === ns)) {
    ns = name.slice(dot + 1);
    name = name.slice(0, dot);
  }
  const pod = deployment ? resolvePod(table, `deploy/${name}`, ns) : podByName(pods, name, ns);
  if (!pod.sidecar && !pod.gateway)
    throw new PodNotFoundError(
      `pod ${pod.name}.${pod.namespace} has no istio-proxy container`,
      `pods get a sidecar in namespaces labelled istio-injection=enabled: caravel label namespace ${pod.namespace} istio-injection=enabled`,
    );
  return pod;
}
