// Public face of the local runtime: runs Deployments as pods of local processes on loopback
// addresses, with sidecars, supervision, readiness and logs; plus what `exec` and `logs` need.
export { LocalRuntime, podPortClaims } from './runtime.ts';
export type { DesiredInput, PodView, RuntimeEvent, RuntimeListener, RuntimeOptions } from './runtime.ts';
export { SIDECAR_NAME } from './pod.ts';
export type {
  ContainerStatus,
  PodInfo,
  PodPhase,
  PodStatus,
  ProxyCommand,
  ProxyCommandFactory,
  ProxyMode,
} from './pod.ts';
export { AddressAllocator, checkBindable } from './addresses.ts';
export type { AddressOptions, PodAddresses } from './addresses.ts';
export { CATALOGUE, lookupImage, parseImage } from './catalogue.ts';
export type { CatalogueEntry, CatalogueMatch, ExecRewrite, ImageRef, Launch } from './catalogue.ts';
export { COMMAND_ANNOTATION, parseCommandAnnotation } from './command-line.ts';
export { planDeployment, planDeployments, wantsSidecar } from './pod-plan.ts';
export type { ContainerPlan, DeploymentOutcome, PodTemplatePlan } from './pod-plan.ts';
export { reconcile } from './reconcile.ts';
export type { ActualPod, ReconcilePlan } from './reconcile.ts';
export { proxyEnv, SIDECAR_PORTS } from './env.ts';
export { DEFAULT_BACKOFF } from './process.ts';
export type { BackoffOptions } from './process.ts';
export { checkPorts } from './ports.ts';
export type { PortClaim } from './ports.ts';
export { followLog, logPath, logSize, readLog } from './logs.ts';
export { formatAge, podRows, readPodTable, runtimeAlive } from './pod-table.ts';
export type { ContainerRecord, DeploymentErrorRecord, PodRecord, PodTable } from './pod-table.ts';
export { planExec, podTableOf, resolveContainer, resolvePod } from './exec.ts';
export type { ExecOptions, ExecPlan } from './exec.ts';
export {
  AddressUnavailableError,
  PodNotFoundError,
  PortInUseError,
  RuntimeNotRunningError,
  RuntimeStateError,
  SampleMissingError,
  WorkloadError,
} from './errors.ts';
export { LocalMesh, MESH_INFO_FILE } from './mesh/mesh.ts';
export type { MeshInfo, MeshOptions } from './mesh/mesh.ts';
