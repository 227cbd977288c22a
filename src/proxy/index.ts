// Caravel's proxy (sidecar or gateway): configured by xDS, serving HTTP/1.1, HTTP/2, gRPC, WebSocket
// and TCP, with Envoy's admin API.
export { Proxy } from './proxy.ts';
export type { LogLevel, ProxyOptions } from './proxy.ts';
export { bootstrapFrom, loadBootstrap, parseHostPort } from './bootstrap.ts';
export type { Bootstrap, HostPort } from './bootstrap.ts';
export { BootstrapError, XdsResourceError } from './errors.ts';
export { resourceJson } from './admin/proto-json.ts';
export { register } from './register.ts';
export { runPrimary, WorkerBridge, workerIndex } from './workers.ts';
