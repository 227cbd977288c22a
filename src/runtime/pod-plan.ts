// From a Deployment to what each of its pods runs: the template's labels plus pod-template-hash,
// service account, restart policy, grace period, whether a sidecar is injected, and per container
// the argv (from the image catalogue or the caravel.io/command annotation), env and ports. A
// Deployment that cannot run gets one clear WorkloadError; the others are planned regardless.
import type { Container, Deployment, PodTemplateSpec } from '../api/index.ts';
import type { CaravelError } from '../errors/index.ts';
import type { CatalogueEntry } from './catalogue.ts';
import { CATALOGUE, CARAVEL_ROOT, lookupImage, sampleArgv } from './catalogue.ts';
import { COMMAND_ANNOTATION, parseCommandAnnotation } from './command-line.ts';
import { WorkloadError } from './errors.ts';
import { templateHash } from './naming.ts';

/** An env var as the container spec gives it: a value, or a field of the pod filled in per pod. */
export type EnvSource =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly fieldPath: string };

export interface ContainerPortPlan {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: string;
}

export interface ContainerPlan {
  readonly name: string;
  readonly image: string;
  /** "proxy": the container is the mesh's proxy itself (gateways); its argv comes from the caller. */
  readonly role: 'app' | 'proxy';
  readonly argv: readonly string[];
  readonly workingDir?: string;
  readonly env: readonly EnvSource[];
  /** Env the catalogue adds for the image (SERVICE_VERSION …); the container's own env wins. */
  readonly imageEnv: Readonly<Record<string, string>>;
  readonly ports: readonly ContainerPortPlan[];
  /** The catalogue entry the image matched, for `exec` rewrites. */
  readonly catalogue?: string;
}

export type Strategy =
  | { readonly type: 'RollingUpdate'; readonly maxSurge: number; readonly maxUnavailable: number }
  | { readonly type: 'Recreate' };

export interface PodTemplatePlan {
  readonly deployment: string;
  readonly namespace: string;
  readonly hash: string;
  readonly replicas: number;
  readonly strategy: Strategy;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly terminationGraceMs: number;
  readonly sidecar: boolean;
  readonly containers: readonly ContainerPlan[];
  /** The pod template with the hash label, as the registry reads workloads from it. */
  readonly template: PodTemplateSpec;
}

export interface PlanOptions {
  readonly catalogue?: readonly CatalogueEntry[];
  /** Folder the catalogue's sample paths are relative to. */
  readonly root?: string;
}

export type DeploymentOutcome =
  | { readonly ok: true; readonly plan: PodTemplatePlan }
  | {
      readonly ok: false;
      readonly namespace: string;
      readonly deployment: string;
      readonly error: CaravelError;
    };

const FIELD_PATHS = new Set([
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'status.podIP',
  'status.podIPs',
  'status.hostIP',
  'spec.nodeName',
  'spec.serviceAccountName',
]);
const LABEL_OR_ANNOTATION = /^metadata\.(labels|annotations)\['([^']+)'\]$/;

const INJECT = 'sidecar.istio.io/inject';

/** Istio's injection rules: the pod's own label/annotation, then its namespace's istio-injection label. */
export function wantsSidecar(
  namespaceLabels: Readonly<Record<string, string>>,
  podLabels: Readonly<Record<string, string>>,
  podAnnotations: Readonly<Record<string, string>>,
): boolean {
  if (namespaceLabels['istio-injection'] === 'disabled') return false;
  const pod = podLabels[INJECT] ?? podAnnotations[INJECT];
  if (pod === 'false') return false;
  if (pod === 'true') return true;
  return namespaceLabels['istio-injection'] === 'enabled';
}

function where(d: Deployment): string {
  const ns = d.metadata.namespace ?? 'default';
  const at = d.source ? ` (${d.source.file}:${d.source.line})` : '';
  return `deployment ${ns}/${d.metadata.name}${at}`;
}

function envSources(d: Deployment, c: Container): EnvSource[] {
  return (c.env ?? []).map((e, i) => {
    const at = `${where(d)}, container ${c.name}, env[${i}] ${e.name}`;
    const from = e.valueFrom;
    if (!from) return { name: e.name, value: e.value ?? '' };
    if (from.fieldRef) {
      const path = from.fieldRef.fieldPath;
      if (FIELD_PATHS.has(path) || LABEL_OR_ANNOTATION.test(path)) return { name: e.name, fieldPath: path };
      throw new WorkloadError(
        'RUNTIME_UNSUPPORTED_FIELD',
        `${at}: fieldRef ${path} is not supported in local mode`,
        {
          hint: `use one of ${[...FIELD_PATHS].join(', ')}, metadata.labels['KEY'] or metadata.annotations['KEY'], or a value`,
        },
      );
    }
    const kind = Object.keys(from).find((k) => from[k as keyof typeof from] !== undefined) ?? 'valueFrom';
    throw new WorkloadError(
      'RUNTIME_UNSUPPORTED_FIELD',
      `${at}: valueFrom.${kind} is not supported in local mode`,
      {
        hint: 'give the value directly with "value:"',
      },
    );
  });
}

function containerCommand(
  d: Deployment,
  c: Container,
  first: boolean,
  annotations: Readonly<Record<string, string>>,
  options: PlanOptions,
): Pick<ContainerPlan, 'role' | 'argv' | 'imageEnv' | 'catalogue'> {
  const annotated =
    annotations[`${COMMAND_ANNOTATION}.${c.name}`] ?? (first ? annotations[COMMAND_ANNOTATION] : undefined);
  const match = lookupImage(c.image, options.catalogue ?? CATALOGUE);
  const imageEnv = match?.env ?? {};
  const catalogue = match ? { catalogue: match.entry.image } : {};
  try {
    if (annotated !== undefined)
      return {
        role: 'app',
        argv: [...parseCommandAnnotation(annotated), ...(c.args ?? [])],
        imageEnv,
        ...catalogue,
      };
    const launch = match?.entry.launch;
    if (launch?.kind === 'sample')
      return {
        role: 'app',
        argv: [
          ...sampleArgv(c.image, launch.program, options.root ?? CARAVEL_ROOT),
          ...(c.args ?? launch.args ?? []),
        ],
        imageEnv,
        ...catalogue,
      };
    if (launch?.kind === 'proxy') return { role: 'proxy', argv: [], imageEnv, ...catalogue };
    if (launch?.kind === 'container-command') {
      const own = [...(c.command ?? []), ...(c.args ?? [])];
      return { role: 'app', argv: own.length > 0 ? own : [...launch.defaultArgv], imageEnv, ...catalogue };
    }
  } catch (e) {
    const err = e as CaravelError;
    throw new WorkloadError(err.code, `${where(d)}, container ${c.name}: ${err.message}`, {
      hint: err.hint,
      cause: e,
    });
  }
  const key = first ? COMMAND_ANNOTATION : `${COMMAND_ANNOTATION}.${c.name}`;
  throw new WorkloadError(
    'RUNTIME_UNKNOWN_IMAGE',
    `${where(d)}, container ${c.name}: image ${c.image} is not in Caravel's catalogue of sample images, and the pod template has no ${key} annotation`,
    {
      hint: `name the command to run under spec.template.metadata.annotations, e.g. ${key}: "node server.js"`,
    },
  );
}

function resolvePercent(
  value: number | string | undefined,
  fallback: string,
  replicas: number,
  roundUp: boolean,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const exact = (Number.parseInt(v, 10) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function strategyOf(d: Deployment, replicas: number): Strategy {
  const s = d.spec.strategy;
  if (s?.type === 'Recreate') return { type: 'Recreate' };
  const maxSurge = resolvePercent(s?.rollingUpdate?.maxSurge, '25%', replicas, true);
  const maxUnavailable = resolvePercent(s?.rollingUpdate?.maxUnavailable, '25%', replicas, false);
  return {
    type: 'RollingUpdate',
    maxSurge,
    maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable,
  };
}

/** Plans one Deployment's pods; throws WorkloadError when they cannot run here. */
export function planDeployment(
  d: Deployment,
  namespaceLabels: Readonly<Record<string, string>>,
  options: PlanOptions = {},
): PodTemplatePlan {
  const namespace = d.metadata.namespace ?? 'default';
  const template = d.spec.template;
  const hash = templateHash(template);
  const labels = { ...template.metadata?.labels, 'pod-template-hash': hash };
  const annotations = { ...template.metadata?.annotations };
  const containers = template.spec.containers.map((c, i): ContainerPlan => {
    const command = containerCommand(d, c, i === 0, annotations, options);
    return {
      name: c.name,
      image: c.image,
      ...command,
      ...(c.workingDir ? { workingDir: c.workingDir } : {}),
      env: envSources(d, c),
      ports: (c.ports ?? []).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        containerPort: p.containerPort,
        protocol: p.protocol ?? 'TCP',
      })),
    };
  });
  const proxyOnly = containers.some((c) => c.role === 'proxy');
  const replicas = d.spec.replicas ?? 1;
  return Object.freeze({
    deployment: d.metadata.name,
    namespace,
    hash,
    replicas,
    strategy: strategyOf(d, replicas),
    labels,
    annotations,
    serviceAccount: template.spec.serviceAccountName ?? template.spec.serviceAccount ?? 'default',
    restartPolicy: template.spec.restartPolicy ?? 'Always',
    terminationGraceMs: (template.spec.terminationGracePeriodSeconds ?? 30) * 1000,
    sidecar: !proxyOnly && wantsSidecar(namespaceLabels, labels, annotations),
    containers,
    template: { ...template, metadata: { ...template.metadata, labels } },
  });
}

/** Plans every Deployment; a Deployment that cannot run is reported and the rest are planned. */
export function planDeployments(
  deployments: readonly Deployment[],
  namespaceLabels: (namespace: string) => Readonly<Record<string, string>>,
  options: PlanOptions = {},
): DeploymentOutcome[] {
  return deployments.map((d) => {
    const namespace = d.metadata.namespace ?? 'default';
    try {
      return { ok: true, plan: planDeployment(d, namespaceLabels(namespace), options) };
    } catch (e) {
      if (!(e instanceof WorkloadError)) throw e;
      return { ok: false, namespace, deployment: d.metadata.name, error: e };
    }
  });
}
