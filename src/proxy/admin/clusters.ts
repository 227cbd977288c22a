// /clusters in Envoy's text format (and ?format=json as envoy.admin.v3.Clusters).
import type { Proxy } from '../proxy.ts';
import type { Thresholds } from '../xds/decode/cluster.ts';

function thresholdLines(name: string, priority: string, t: Thresholds): string[] {
  return [
    `${name}::${priority}::max_connections::${t.maxConnections}`,
    `${name}::${priority}::max_pending_requests::${t.maxPendingRequests}`,
    `${name}::${priority}::max_requests::${t.maxRequests}`,
    `${name}::${priority}::max_retries::${t.maxRetries}`,
  ];
}

export function clustersText(proxy: Proxy): string {
  const lines: string[] = [];
  for (const c of proxy.clusters.all().sort((a, b) => (a.config.name < b.config.name ? -1 : 1))) {
    const n = c.config.name;
    lines.push(`${n}::observability_name::${n}`);
    lines.push(...thresholdLines(n, 'default_priority', c.config.thresholds));
    lines.push(...thresholdLines(n, 'high_priority', c.config.highThresholds));
    lines.push(`${n}::added_via_api::true`);
    for (const h of c.hosts) {
      const p = `${n}::${h.address}`;
      lines.push(
        `${p}::cx_active::${h.cxActive}`,
        `${p}::cx_connect_fail::${h.cxConnectFail}`,
        `${p}::cx_total::${h.cxTotal}`,
        `${p}::rq_active::${h.activeRequests}`,
        `${p}::rq_error::${h.rqError}`,
        `${p}::rq_success::${h.rqSuccess}`,
        `${p}::rq_timeout::${h.rqTimeout}`,
        `${p}::rq_total::${h.rqTotal}`,
        `${p}::hostname::${h.hostname}`,
        `${p}::health_flags::${h.healthFlags()}`,
        `${p}::weight::${h.weight}`,
        `${p}::region::${h.locality.region}`,
        `${p}::zone::${h.locality.zone}`,
        `${p}::sub_zone::${h.locality.subZone}`,
        `${p}::canary::false`,
        `${p}::priority::${h.priority}`,
        `${p}::success_rate::-1`,
        `${p}::local_origin_success_rate::-1`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

export function clustersJson(proxy: Proxy): unknown {
  return {
    cluster_statuses: proxy.clusters.all().map((c) => ({
      name: c.config.name,
      observability_name: c.config.name,
      added_via_api: true,
      host_statuses: c.hosts.map((h) => ({
        address: { socket_address: { address: h.host, port_value: h.port } },
        stats: [
          { name: 'cx_connect_fail', value: String(h.cxConnectFail) },
          { name: 'cx_total', value: String(h.cxTotal) },
          { name: 'rq_error', value: String(h.rqError) },
          { name: 'rq_success', value: String(h.rqSuccess) },
          { name: 'rq_timeout', value: String(h.rqTimeout) },
          { name: 'rq_total', value: String(h.rqTotal) },
          { type: 'GAUGE', name: 'cx_active', value: String(h.cxActive) },
          { type: 'GAUGE', name: 'rq_active', value: String(h.activeRequests) },
        ],
        health_status: {
          eds_health_status: h.health,
          ...(h.ejectedUntil > Date.now() ? { failed_outlier_check: true } : {}),
        },
        weight: h.weight,
        hostname: h.hostname,
        locality: { region: h.locality.region, zone: h.locality.zone, sub_zone: h.locality.subZone },
        priority: h.priority,
      })),
    })),
  };
}
