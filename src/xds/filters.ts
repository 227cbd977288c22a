// Network and HTTP filters shared by every listener builder.
import { FAULT_TYPE, HCM_TYPE, ROUTER_TYPE, TCP_PROXY_TYPE } from '../envoy/index.ts';
import type { Json } from './envoy-util.ts';
import type { MeshOptions } from './push-context.ts';
import {
  ADS_CONFIG,
  CORS_TYPE,
  FILTER_CORS,
  FILTER_FAULT,
  FILTER_HCM,
  FILTER_ROUTER,
  FILTER_TCP_PROXY,
} from './envoy-util.ts';

export function httpFilters(grpc: boolean): Json[] {
  return [
    ...(grpc ? [] : [{ name: FILTER_CORS, typedConfig: { '@type': CORS_TYPE } }]),
    { name: FILTER_FAULT, typedConfig: { '@type': FAULT_TYPE } },
    { name: FILTER_ROUTER, typedConfig: { '@type': ROUTER_TYPE } },
  ];
}

const FILE_ACCESS_LOG_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** Istio's default access log line (meshConfig.accessLogFormat unset). */
export const ISTIO_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% ' +
  '%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% ' +
  '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% ' +
  '%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% ' +
  '%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** The file access log of meshConfig.accessLogFile, as Istio configures it on every listener. */
export function accessLogs(mesh: MeshOptions): Json[] {
  if (!mesh.accessLogFile) return [];
  return [
    {
      name: 'envoy.access_loggers.file',
      typedConfig: {
        '@type': FILE_ACCESS_LOG_TYPE,
        path: mesh.accessLogFile,
        logFormat: { textFormatSource: { inlineString: ISTIO_ACCESS_LOG_FORMAT } },
      },
    },
  ];
}

export function hcm(
  statPrefix: string,
  route: { rds: string } | { inline: Json },
  mesh: MeshOptions,
  extra: Json = {},
): Json {
  const logs = accessLogs(mesh);
  return {
    name: FILTER_HCM,
    typedConfig: {
      '@type': HCM_TYPE,
      statPrefix,
      ...('rds' in route
        ? { rds: { configSource: ADS_CONFIG, routeConfigName: route.rds } }
        : { routeConfig: route.inline }),
      httpFilters: httpFilters(false),
      useRemoteAddress: { value: false },
      ...(logs.length ? { accessLog: logs } : {}),
      ...extra,
    },
  };
}

export function tcpProxy(statPrefix: string, cluster: string | { name: string; weight: number }[]): Json {
  return {
    name: FILTER_TCP_PROXY,
    typedConfig: {
      '@type': TCP_PROXY_TYPE,
      statPrefix,
      ...(typeof cluster === 'string'
        ? { cluster }
        : { weightedClusters: { clusters: cluster.map((c) => ({ name: c.name, weight: c.weight })) } }),
    },
  };
}
