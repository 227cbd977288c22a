// CDS: outbound clusters per visible service port and DestinationRule subset, inbound clusters
// for the proxy's own workload, and the PassthroughCluster / BlackHoleCluster pair.
import { structOf } from '../envoy/index.ts';
import type { MeshService, ServicePort } from '../registry/index.ts';
import { targetPortOf } from '../registry/index.ts';
import type { Json } from './envoy-util.ts';
import {
  ADS_CONFIG,
  BLACKHOLE_CLUSTER,
  duration,
  inboundClusterName,
  outboundClusterName,
  PASSTHROUGH_CLUSTER,
  socketAddress,
} from './envoy-util.ts';
import { applyPolicy, effectivePolicy, istioSni } from './policy.ts';
import type { Proxy } from './proxy.ts';
import type { PushContext } from './push-context.ts';

/** The proxy's clusters in two parts: those shared by every proxy with the same view of the mesh
 * (the same array for all of them, so it is encoded once), and its own inbound clusters. */
export function buildClusterParts(proxy: Proxy, push: PushContext): [Json[], Json[]] {
  const shared = push.memo(`cds|${push.proxyKey(proxy)}`, () => sharedClusters(proxy, push));
  return [shared, proxy.grpc ? [] : inboundClusters(proxy, push)];
}

export function buildClusters(proxy: Proxy, push: PushContext): Json[] {
  return buildClusterParts(proxy, push).flat();
}

/** Clusters every proxy with the same view of the mesh gets (outbound, passthrough, black hole). */
function sharedClusters(proxy: Proxy, push: PushContext): Json[] {
  const out: Json[] = [];
  for (const service of push.visibleServices(proxy))
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      const dr = push.destinationRule(proxy.namespace, service.hostname);
      // A cluster depends on the proxy only through the DestinationRule it sees and gRPC-ness, so
      // proxies in different namespaces share the same objects (and their encodings).
      const key = `cluster|${proxy.grpc}|${dr ? `${dr.metadata.namespace}/${dr.metadata.name}` : ''}`;
      for (const subset of ['', ...(dr?.spec.subsets ?? []).map((s) => s.name)])
        out.push(
          push.memo(`${key}|${outboundClusterName(port.port, subset, service.hostname)}`, () =>
            outboundCluster(proxy, push, service, port, subset),
          ),
        );
    }
  if (proxy.grpc) return out;
  out.push(
    {
      name: PASSTHROUGH_CLUSTER,
      type: 'ORIGINAL_DST',
      connectTimeout: duration(push.mesh.connectTimeoutMs),
      lbPolicy: 'CLUSTER_PROVIDED',
      circuitBreakers: { thresholds: [{ maxConnections: { value: 102400 }, maxRetries: { value: 1024 } }] },
    },
    { name: BLACKHOLE_CLUSTER, type: 'STATIC', connectTimeout: duration(push.mesh.connectTimeoutMs) },
  );
  return out;
}

function outboundCluster(
  proxy: Proxy,
  push: PushContext,
  service: MeshService,
  port: ServicePort,
  subset: string,
): Json {
  const name = outboundClusterName(port.port, subset, service.hostname);
  const cluster: Json = { name, connectTimeout: duration(push.mesh.connectTimeoutMs) };
  switch (service.resolution) {
    case 'CLIENT_SIDE_LB':
      cluster.type = 'EDS';
      cluster.edsClusterConfig = { edsConfig: ADS_CONFIG, serviceName: name };
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      // Proxyless gRPC resolves through EDS only, so DNS hosts are served as endpoints too.
      if (proxy.grpc) {
        cluster.type = 'EDS';
        cluster.edsClusterConfig = { edsConfig: ADS_CONFIG, serviceName: name };
      } else {
        cluster.type = service.resolution === 'DNS' ? 'STRICT_DNS' : 'LOGICAL_DNS';
        cluster.dnsLookupFamily = 'V4_ONLY';
        cluster.loadAssignment = {
          clusterName: name,
          endpoints: [
            {
              lbEndpoints: push.registry
                .endpoints(service.hostname)
                .filter((e) => e.servicePort.port === port.port)
                .map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) } })),
            },
          ],
        };
      }
      break;
    case 'PASSTHROUGH':
      cluster.type = 'ORIGINAL_DST';
      cluster.lbPolicy = 'CLUSTER_PROVIDED';
      break;
  }
  const dr = push.destinationRule(proxy.namespace, service.hostname);
  applyPolicy(cluster, effectivePolicy(dr, subset, port.port), {
    service,
    port,
    subset,
    sni: istioSni(port.port, subset, service.hostname),
    grpc: proxy.grpc,
  });
  cluster.metadata = {
    filterMetadata: {
      istio: structOf({
        services: [{ host: service.hostname, name: service.name, namespace: service.namespace }],
        ...(subset ? { subset } : {}),
        ...(dr
          ? {
              config: `/apis/networking.istio.io/v1/namespaces/${dr.metadata.namespace}/destination-rule/${dr.metadata.name}`,
            }
          : {}),
      }),
    },
  };
  return cluster;
}

/** The proxy's own container ports that services target, each with its port and protocol. */
export function inboundPorts(proxy: Proxy, push: PushContext): { port: number; servicePort: ServicePort }[] {
  const w = proxy.workload;
  if (!w) return [];
  const seen = new Map<number, ServicePort>();
  for (const s of push.registry.servicesOf(w))
    for (const p of s.ports) {
      const target = targetPortOf(p, w);
      if (target !== undefined && !seen.has(target)) seen.set(target, p);
    }
  return [...seen].map(([port, servicePort]) => ({ port, servicePort }));
}

function inboundClusters(proxy: Proxy, push: PushContext): Json[] {
  const w = proxy.workload;
  if (!w || proxy.type !== 'sidecar') return [];
  return inboundPorts(proxy, push).map(({ port }) => ({
    name: inboundClusterName(port),
    type: 'STATIC',
    connectTimeout: duration(push.mesh.connectTimeoutMs),
    loadAssignment: {
      clusterName: inboundClusterName(port),
      endpoints: [{ lbEndpoints: [{ endpoint: { address: socketAddress(w.appAddress, port) } }] }],
    },
    circuitBreakers: {
      thresholds: [
        {
          maxConnections: { value: 4294967295 },
          maxPendingRequests: { value: 4294967295 },
          maxRequests: { value: 4294967295 },
          maxRetries: { value: 4294967295 },
          trackRemaining: true,
        },
      ],
    },
  }));
}
