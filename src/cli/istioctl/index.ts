// istioctl's proxy-status and proxy-config views over the local mesh: reaching the control plane and
// the sidecars' admin APIs, and one renderer per view, laid out as istioctl lays them out.
export {
  MeshNotRunningError,
  MeshRequestError,
  controlPlaneGet,
  podTable,
  proxyAdminGet,
  readMeshInfo,
  resolveProxyPod,
} from './mesh.ts';
export { nackLines, proxyName, statusTable } from './status.ts';
export { compareDumps } from './compare.ts';
export { clusterTable, dumpClusters, filterClusters } from './clusters.ts';
export type { ClusterFilter } from './clusters.ts';
export { dumpListeners, filterListeners, listenerTable } from './listeners.ts';
export type { ListenerFilter } from './listeners.ts';
export { dumpRoutes, filterRoutes, routeTable } from './routes.ts';
export type { RouteFilter } from './routes.ts';
export { clusterHosts, edsTable, endpointTable } from './endpoints.ts';
export type { EndpointFilter, HostRow } from './endpoints.ts';
export { secretTable } from './secrets.ts';
export { render, untyped } from './output.ts';
export { dumpSection } from './json.ts';
