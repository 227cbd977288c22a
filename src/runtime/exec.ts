// `caravel exec` and `caravel logs` against the pod table: which pod a target names (POD, pod/NAME,
// deploy/NAME), which container (-c, else the first app container, as kubectl defaults), and for
// exec the command line and environment: the container's env (so HTTP goes through the pod's
// sidecar) over the host's, with sample images' own commands rewritten to Caravel's.
import { join } from 'node:path';
import type { CatalogueEntry } from './catalogue.ts';
import { CARAVEL_ROOT, CATALOGUE, rewriteExec } from './catalogue.ts';
import { PodNotFoundError, RuntimeNotRunningError } from './errors.ts';
import { SIDECAR_NAME } from './pod.ts';
import type { ContainerRecord, PodRecord, PodTable } from './pod-table.ts';
import { readPodTable, runtimeAlive } from './pod-table.ts';

const DEPLOYMENT_PREFIXES = [
  'deploy/',
  'deployment/',
  'deployments/',
  'deployment.apps/',
  'deployments.apps/',
];
const POD_PREFIXES = ['pod/', 'pods/', 'po/'];

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.slice(0, 8).join(', ') + (names.length > 8 ? ', …' : '');
}

/** The pod `target` names in `namespace`: a pod name, or the first (ready first) pod of a Deployment. */
export function resolvePod(table: PodTable, target: string, namespace: string): PodRecord {
  const inNs = table.pods.filter((p) => p.namespace === namespace);
  const deployPrefix = DEPLOYMENT_PREFIXES.find((p) => target.startsWith(p));
  if (deployPrefix) {
    const name = target.slice(deployPrefix.length);
    const pods = inNs
      .filter((p) => p.deployment === name)
      .sort((a, b) => Number(b.ready) - Number(a.ready) || a.createdAt - b.createdAt);
    if (pods[0]) return pods[0];
    const deployments = [...new Set(inNs.map((p) => p.deployment))].sort();
    throw new PodNotFoundError(
      `deployment "${name}" has no pods in namespace "${namespace}"`,
      `deployments with pods there: ${list(deployments)}; use -n to pick another namespace`,
    );
  }
  const podPrefix = POD_PREFIXES.find((p) => target.startsWith(p));
  const name = podPrefix ? target.slice(podPrefix.length) : target;
  if (!podPrefix && target.includes('/'))
    throw new PodNotFoundError(
      `cannot exec into or read logs of "${target}"`,
      'name a pod (POD or pod/NAME) or a deployment (deploy/NAME)',
    );
  const pod = inNs.find((p) => p.name === name);
  if (pod) return pod;
  const elsewhere = table.pods.filter((p) => p.name === name).map((p) => p.namespace);
  throw new PodNotFoundError(
    `pod "${name}" not found in namespace "${namespace}"`,
    elsewhere.length > 0
      ? `it is in namespace ${elsewhere[0]}: add -n ${elsewhere[0]}`
      : `pods there: ${list(inNs.map((p) => p.name))}`,
  );
}

/** The container `-c` names, else the first app container; `defaulted` when none was named and there was a choice. */
export function resolveContainer(
  pod: PodRecord,
  name: string | undefined,
): { container: ContainerRecord; defaulted: boolean } {
  if (name !== undefined) {
    const c = pod.containers.find((x) => x.name === name);
    if (c) return { container: c, defaulted: false };
    throw new PodNotFoundError(
      `container "${name}" not found in pod ${pod.name}`,
      `containers of the pod: ${list(pod.containers.map((x) => x.name))}`,
    );
  }
  const c = pod.containers.find((x) => x.name !== SIDECAR_NAME) ?? pod.containers[0];
  if (!c) throw new PodNotFoundError(`pod ${pod.name} has no containers`, 'wait for the pod to start');
  return { container: c, defaulted: pod.containers.length > 1 };
}

export interface ExecOptions {
  /** The caller's environment (the command runs on this host). */
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  readonly catalogue?: readonly CatalogueEntry[];
  /** The command line that runs this Caravel ("caravel" in rewrites); default: Node and bin/caravel.mjs. */
  readonly caravel?: readonly string[];
}

export interface ExecPlan {
  readonly pod: PodRecord;
  readonly container: ContainerRecord;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const PROXY_VARS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
];

/** What `exec` runs: the command rewritten for sample images, with the container's environment. */
export function planExec(
  pod: PodRecord,
  container: ContainerRecord,
  command: readonly string[],
  options: ExecOptions,
): ExecPlan {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.hostEnv))
    if (v !== undefined && !PROXY_VARS.includes(k)) env[k] = v;
  Object.assign(env, container.env);
  const entry = (options.catalogue ?? CATALOGUE).find((e) => e.image === container.catalogue);
  let argv = (entry && rewriteExec(entry, command)) ?? [...command];
  if (argv[0] === 'caravel' && entry) argv = [...(options.caravel ?? defaultCaravel()), ...argv.slice(1)];
  return { pod, container, argv, env };
}

function defaultCaravel(): string[] {
  return [process.execPath, join(CARAVEL_ROOT, 'bin', 'caravel.mjs')];
}

/** The pod table of the mesh run from `stateDir`; with `running`, only while that runtime is alive. */
export function podTableOf(stateDir: string, options: { running: boolean }): PodTable {
  const table = readPodTable(stateDir);
  if (!table || (options.running && !runtimeAlive(table))) throw new RuntimeNotRunningError(stateDir);
  return table;
}
