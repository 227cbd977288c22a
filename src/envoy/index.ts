// Envoy v3 API: proto loading, type URLs and Any packing, shared by the control plane and the proxy.
export {
  discoveryPackageDefinition,
  envoyRoot,
  ENVOY_PROTO_FILES,
  PROTO_INCLUDE_DIRS,
  PROTO_OPTIONS,
} from './protos.ts';
export { packAny, typeUrlOf, unpackAny } from './any.ts';
export { messageCodec } from './codec.ts';
export type { MessageCodec } from './codec.ts';
export { fromStruct, fromValue, structOf } from './struct.ts';
export type { AnyMessage } from './any.ts';
export * from './type-urls.ts';
