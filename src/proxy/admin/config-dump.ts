// /config_dump in Envoy's shape (envoy.admin.v3.ConfigDump), so proxy-config tools read it as Envoy's.
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../envoy/index.ts';
import type { Proxy } from '../proxy.ts';
import { messageJson, resourceJson } from './proto-json.ts';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

function bootstrapDump(proxy: Proxy): unknown {
  const b = proxy.bootstrap;
  const ads = {
    api_type: b.xds.apiType,
    transport_api_version: 'V3',
    grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }],
  };
  return {
    '@type': `${ADMIN}BootstrapConfigDump`,
    bootstrap: {
      node: messageJson('envoy.config.core.v3.Node', proxy.nodeMessage()),
      static_resources: {
        clusters: [
          {
            name: 'xds-grpc',
            type: 'STATIC',
            connect_timeout: '1s',
            load_assignment: {
              cluster_name: 'xds-grpc',
              endpoints: [
                {
                  lb_endpoints: [
                    {
                      endpoint: {
                        address: {
                          socket_address: { address: b.xds.address.host, port_value: b.xds.address.port },
                        },
                      },
                    },
                  ],
                },
              ],
            },
            typed_extension_protocol_options: {
              'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
                '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
                explicit_http_config: { http2_protocol_options: {} },
              },
            },
          },
        ],
      },
      dynamic_resources: {
        lds_config: { ads: {}, resource_api_version: 'V3' },
        cds_config: { ads: {}, resource_api_version: 'V3' },
        ads_config: ads,
      },
      admin: { address: { socket_address: { address: b.admin.host, port_value: b.admin.port } } },
    },
    last_updated: new Date(proxy.startTime).toISOString(),
  };
}

export function configDump(proxy: Proxy, options: { includeEds: boolean; resource?: string }): unknown {
  const meta = (type: string) => [...(proxy.resources.get(type) ?? new Map()).entries()];
  const configs: Record<string, unknown>[] = [
    bootstrapDump(proxy) as Record<string, unknown>,
    {
      '@type': `${ADMIN}ClustersConfigDump`,
      version_info: proxy.ads.version(CLUSTER_TYPE),
      dynamic_active_clusters: meta(CLUSTER_TYPE).map(([, m]) => ({
        version_info: m.version,
        cluster: resourceJson(CLUSTER_TYPE, m.raw),
        last_updated: m.lastUpdated.toISOString(),
      })),
    },
    {
      '@type': `${ADMIN}ListenersConfigDump`,
      version_info: proxy.ads.version(LISTENER_TYPE),
      dynamic_listeners: meta(LISTENER_TYPE).map(([name, m]) => ({
        name,
        active_state: {
          version_info: m.version,
          listener: resourceJson(LISTENER_TYPE, m.raw),
          last_updated: m.lastUpdated.toISOString(),
        },
      })),
    },
    {
      '@type': `${ADMIN}RoutesConfigDump`,
      dynamic_route_configs: meta(ROUTE_TYPE).map(([, m]) => ({
        version_info: m.version,
        route_config: resourceJson(ROUTE_TYPE, m.raw),
        last_updated: m.lastUpdated.toISOString(),
      })),
    },
    {
      '@type': `${ADMIN}SecretsConfigDump`,
      // Names and versions only: key material never leaves the proxy.
      dynamic_active_secrets: meta(SECRET_TYPE).map(([name, m]) => ({
        name,
        version_info: m.version,
        last_updated: m.lastUpdated.toISOString(),
        secret: { '@type': SECRET_TYPE, name },
      })),
    },
  ];
  if (options.includeEds)
    configs.push({
      '@type': `${ADMIN}EndpointsConfigDump`,
      dynamic_endpoint_configs: meta(ENDPOINT_TYPE).map(([, m]) => ({
        version_info: m.version,
        endpoint_config: resourceJson(ENDPOINT_TYPE, m.raw),
        last_updated: m.lastUpdated.toISOString(),
      })),
    });
  if (options.resource) {
    // ?resource=dynamic_active_clusters etc.: the matching repeated field's entries, each typed.
    const key = options.resource;
    const out: unknown[] = [];
    for (const c of configs) {
      const v = c[key];
      if (Array.isArray(v))
        for (const entry of v) out.push({ '@type': `${c['@type'] as string}.${key}`, ...(entry as object) });
    }
    return { configs: out };
  }
  return { configs };
}
