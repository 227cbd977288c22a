// Envoy's v3 API protos, loaded from the pinned @grpc/grpc-js-xds package (the repository holds no
// copies). One protobufjs Root serves both sides: the control plane encodes resources with it and
// the proxy decodes them.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import type * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const depsDir = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

export const PROTO_INCLUDE_DIRS: readonly string[] = [
  join(depsDir, 'envoy-api'),
  join(depsDir, 'xds'),
  join(depsDir, 'googleapis'),
  join(depsDir, 'protoc-gen-validate'),
];

/** Every proto file Caravel encodes or decodes; imports are followed from these. */
export const ENVOY_PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/maglev/v3/maglev.proto',
  'envoy/extensions/load_balancing_policies/random/v3/random.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/admin/v3/config_dump.proto',
  'envoy/admin/v3/clusters.proto',
  'envoy/admin/v3/server_info.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/type/v3/percent.proto',
  'google/protobuf/wrappers.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/any.proto',
];

/** Options shared by proto-loader (gRPC service) and Any packing, so both see the same shapes. */
export const PROTO_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  json: true,
} as const;

// Envoy's protos import descriptor.proto (for their options), which protobufjs ships as JSON but
// does not know as a well-known file until told, as proto-loader tells it.
type ProtobufJson = { nested: { google: { nested: { protobuf: { nested: object } } } } };
for (const name of ['descriptor', 'api', 'type', 'source_context']) {
  const json = require(`protobufjs/google/protobuf/${name}.json`) as ProtobufJson;
  protobuf.common(name, json.nested.google.nested.protobuf.nested);
}

let root: protobuf.Root | undefined;
let ads: protoLoader.PackageDefinition | undefined;

function resolvePath(_origin: string, target: string): string {
  if (target.startsWith('/')) return target;
  for (const dir of PROTO_INCLUDE_DIRS) {
    const candidate = join(dir, target);
    try {
      require.resolve(candidate);
      return candidate;
    } catch {
      // not under this include dir
    }
  }
  return target;
}

/** The protobufjs Root with all Envoy types (loaded once, about 0.2 s). */
export function envoyRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = resolvePath;
    r.loadSync([...ENVOY_PROTO_FILES], { keepCase: false });
    r.resolveAll();
    root = r;
  }
  return root;
}

/**
 * The gRPC package definition for the Aggregated Discovery Service and CSDS (for servers; a client
 * can use messageCodec instead). proto-loader is loaded on first use: the proxy never needs it.
 */
export function discoveryPackageDefinition(): protoLoader.PackageDefinition {
  ads ??= (require('@grpc/proto-loader') as typeof protoLoader).loadSync(
    [
      'envoy/service/discovery/v3/ads.proto',
      'envoy/service/status/v3/csds.proto',
      // proto-loader brings its own well-known types; naming them here only makes it warn.
      ...ENVOY_PROTO_FILES.filter((f) => !f.startsWith('google/protobuf/')),
    ],
    { ...PROTO_OPTIONS, includeDirs: [...PROTO_INCLUDE_DIRS] },
  );
  return ads;
}
