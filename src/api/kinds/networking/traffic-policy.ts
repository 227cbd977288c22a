// DestinationRule traffic policies: load balancing, connection pools (circuit breaking), outlier
// detection, client TLS, tunnelling and PROXY protocol, per service, per port and per subset.
import { atMostOne, fail, int, portNumber, z } from '../../schema/primitives.ts';
import { isIpAddress, fqdnProblem } from './hosts.ts';
import { EVERY_ISSUE, istioDuration, portSelector, tolerant } from './common.ts';

const nonNegative = (what: string) => int(0, 2147483647, what);
const uint32 = (what: string) => int(0, 4294967295, what);

/** Envoy's test, so that a table size Envoy rejects is rejected here first. */
function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0) return false;
  for (let f = 3; f * f <= n; f += 2) if (n % f === 0) return false;
  return true;
}

export const consistentHashLB = z
  .strictObject({
    httpHeaderName: z.string().optional(),
    httpCookie: z
      .strictObject({
        name: z
          .string({ error: 'httpCookie needs the cookie name' })
          .min(1, 'httpCookie needs the cookie name'),
        path: z.string().optional(),
        ttl: istioDuration({ minMs: 0 }).optional(),
        attributes: z.array(z.strictObject({ name: z.string(), value: z.string().optional() })).optional(),
      })
      .optional(),
    useSourceIp: z.boolean().optional(),
    httpQueryParameterName: z.string().optional(),
    ringHash: z.strictObject({ minimumRingSize: uint32('minimumRingSize').optional() }).optional(),
    maglev: z
      .strictObject({ tableSize: uint32('tableSize') })
      .superRefine((m, ctx) => {
        if (m.tableSize === 0) fail(ctx, ['tableSize'], 'maglev needs a tableSize', 'missing-field');
        else if (m.tableSize >= 5000011) {
          fail(ctx, ['tableSize'], 'maglev tableSize must be less than 5000011', 'invalid-value');
        } else if (!isPrime(m.tableSize)) {
          fail(
            ctx,
            ['tableSize'],
            `maglev tableSize must be a prime number (${m.tableSize} is not)`,
            'invalid-value',
            'the default is 65537',
          );
        }
      })
      .optional(),
    minimumRingSize: uint32('minimumRingSize').optional(),
  })
  .superRefine((c, ctx) => {
    atMostOne(
      c,
      ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'],
      ctx,
      'consistentHash',
    );
    atMostOne(c, ['ringHash', 'maglev'], ctx, 'consistentHash');
    if (c.minimumRingSize && (c.ringHash || c.maglev)) {
      fail(
        ctx,
        ['minimumRingSize'],
        'the older "minimumRingSize" cannot be combined with ringHash or maglev',
        'conflicting-fields',
        'use ringHash.minimumRingSize',
      );
    }
  });

/** Why a locality ("region/zone/subzone", with an optional trailing "*") is malformed. */
function localityProblem(locality: string): string | undefined {
  const stars = locality.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !locality.endsWith('*'))) {
    return `locality "${locality}" may have one "*", only at the end`;
  }
  const parts = locality.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    return `locality "${locality}" must be "region", "region/zone" or "region/zone/subzone"`;
  }
  return undefined;
}

export const localityLoadBalancerSetting = z
  .strictObject({
    distribute: z
      .array(
        z
          .strictObject({
            from: z.string(),
            to: z.record(z.string(), uint32('locality weight')),
          })
          .superRefine((d, ctx) => {
            const p = localityProblem(d.from);
            if (p) fail(ctx, ['from'], p, 'invalid-value');
            let total = 0;
            for (const [loc, w] of Object.entries(d.to)) {
              const lp = localityProblem(loc);
              if (lp) fail(ctx, ['to', loc], lp, 'invalid-value');
              if (w < 1 || w > 100)
                fail(ctx, ['to', loc], 'locality weights must be between 1 and 100', 'invalid-weight');
              total += w;
            }
            if (total !== 100) {
              fail(
                ctx,
                ['to'],
                `the weights in "to" must add up to 100 (they add up to ${total})`,
                'invalid-weight',
              );
            }
          }),
      )
      .optional(),
    failover: z
      .array(
        z.strictObject({ from: z.string(), to: z.string() }).superRefine((f, ctx) => {
          if (f.from === f.to) fail(ctx, ['to'], 'failover must go to a different region', 'invalid-value');
          for (const k of ['from', 'to'] as const) {
            if (f[k].includes('/') || f[k].includes('*')) {
              fail(ctx, [k], `failover names regions only: "${f[k]}" has a "/" or "*"`, 'invalid-value');
            }
          }
        }),
      )
      .optional(),
    failoverPriority: z.array(z.string()).optional(),
    enabled: z.boolean().optional(),
  })
  .superRefine((l, ctx) => {
    if ((l.distribute?.length ?? 0) > 0 && (l.failover?.length ?? 0) > 0) {
      fail(
        ctx,
        ['failover'],
        'localityLbSetting takes only one of "distribute" and "failover"',
        'conflicting-fields',
      );
    }
    if ((l.failover?.length ?? 0) > 0) {
      const topology = [
        'topology.kubernetes.io/region',
        'topology.kubernetes.io/zone',
        'topology.istio.io/subzone',
      ];
      (l.failoverPriority ?? []).forEach((label, i) => {
        if (topology.includes(label)) {
          fail(
            ctx,
            ['failoverPriority', i],
            `"${label}" cannot be used in failoverPriority together with failover`,
            'conflicting-fields',
          );
        }
      });
    }
  });

const SIMPLE_LB = [
  'UNSPECIFIED',
  'LEAST_CONN',
  'RANDOM',
  'PASSTHROUGH',
  'ROUND_ROBIN',
  'LEAST_REQUEST',
] as const;

export const loadBalancerSettings = z
  .strictObject({
    simple: z.enum(SIMPLE_LB).optional(),
    consistentHash: consistentHashLB.optional(),
    localityLbSetting: localityLoadBalancerSetting.optional(),
    warmupDurationSecs: istioDuration().optional(),
    warmup: z
      .strictObject({
        duration: istioDuration(),
        minimumPercent: z
          .number()
          .min(0, 'minimumPercent must be between 0 and 100')
          .max(100, 'minimumPercent must be between 0 and 100')
          .optional(),
        aggression: z.number().min(1, 'aggression must be at least 1').optional(),
      })
      .optional(),
  })
  .superRefine((lb, ctx) => {
    atMostOne(lb, ['simple', 'consistentHash'], ctx, 'loadBalancer');
    atMostOne(lb, ['warmupDurationSecs', 'warmup'], ctx, 'loadBalancer');
  });

export const connectionPoolSettings = z
  .strictObject({
    tcp: z
      .strictObject({
        maxConnections: nonNegative('maxConnections').optional(),
        connectTimeout: istioDuration().optional(),
        tcpKeepalive: z
          .strictObject({
            probes: uint32('probes').optional(),
            time: istioDuration().optional(),
            interval: istioDuration().optional(),
          })
          .optional(),
        maxConnectionDuration: istioDuration().optional(),
        // 0s turns the idle timeout off.
        idleTimeout: istioDuration({ minMs: 0 }).optional(),
      })
      .optional(),
    http: z
      .strictObject({
        http1MaxPendingRequests: nonNegative('http1MaxPendingRequests').optional(),
        http2MaxRequests: nonNegative('http2MaxRequests').optional(),
        maxRequestsPerConnection: nonNegative('maxRequestsPerConnection').optional(),
        maxRetries: nonNegative('maxRetries').optional(),
        idleTimeout: istioDuration().optional(),
        h2UpgradePolicy: z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
        useClientProtocol: z.boolean().optional(),
        maxConcurrentStreams: nonNegative('maxConcurrentStreams').optional(),
      })
      .superRefine((h, ctx) => {
        if (h.h2UpgradePolicy === 'UPGRADE' && h.useClientProtocol) {
          fail(
            ctx,
            ['useClientProtocol'],
            'useClientProtocol cannot be true when h2UpgradePolicy is UPGRADE',
            'conflicting-fields',
          );
        }
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.tcp && !c.http) fail(ctx, [], 'connectionPool needs "tcp" or "http" settings', 'missing-field');
  });

export const outlierDetection = z
  .strictObject({
    consecutiveErrors: int(-2147483648, 2147483647, 'consecutiveErrors').optional(),
    splitExternalLocalOriginErrors: z.boolean().optional(),
    consecutiveLocalOriginFailures: uint32('consecutiveLocalOriginFailures').optional(),
    consecutiveGatewayErrors: uint32('consecutiveGatewayErrors').optional(),
    consecutive5xxErrors: uint32('consecutive5xxErrors').optional(),
    interval: istioDuration().optional(),
    baseEjectionTime: istioDuration().optional(),
    maxEjectionPercent: int(0, 100, 'maxEjectionPercent').optional(),
    minHealthPercent: int(0, 100, 'minHealthPercent').optional(),
  })
  .superRefine((o, ctx) => {
    if (!o.splitExternalLocalOriginErrors && (o.consecutiveLocalOriginFailures ?? 0) > 0) {
      fail(
        ctx,
        ['consecutiveLocalOriginFailures'],
        'consecutiveLocalOriginFailures only counts when splitExternalLocalOriginErrors is true',
        'missing-field',
        'set splitExternalLocalOriginErrors: true',
      );
    }
  });

export const clientTLSSettings = z
  .strictObject({
    mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']).optional(),
    clientCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
    credentialName: z.string().optional(),
    subjectAltNames: z.array(z.string()).optional(),
    sni: z.string().optional(),
    insecureSkipVerify: z.boolean().optional(),
    caCrl: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    const mode = t.mode ?? 'DISABLE';
    if (
      t.insecureSkipVerify &&
      mode === 'SIMPLE' &&
      (t.caCertificates || t.credentialName || t.subjectAltNames)
    ) {
      fail(
        ctx,
        ['insecureSkipVerify'],
        'insecureSkipVerify skips verifying the server, so caCertificates, credentialName and subjectAltNames cannot be set with it',
        'conflicting-fields',
      );
    }
    if (t.insecureSkipVerify && mode === 'MUTUAL' && (t.caCertificates || t.subjectAltNames)) {
      fail(
        ctx,
        ['insecureSkipVerify'],
        'insecureSkipVerify skips verifying the server, so caCertificates and subjectAltNames cannot be set with it',
        'conflicting-fields',
      );
    }
    if ((mode === 'SIMPLE' || mode === 'MUTUAL') && t.credentialName) {
      const files = (['clientCertificate', 'privateKey', 'caCertificates', 'caCrl'] as const).filter(
        (k) => t[k],
      );
      if (files.length > 0) {
        fail(
          ctx,
          [files[0]!],
          `with credentialName set, the certificates come from the credential: remove ${files.join(', ')}`,
          'conflicting-fields',
        );
      }
      return;
    }
    if (mode === 'MUTUAL') {
      if (!t.clientCertificate)
        fail(
          ctx,
          ['clientCertificate'],
          'MUTUAL TLS needs a client certificate (or a credentialName)',
          'missing-field',
        );
      if (!t.privateKey)
        fail(ctx, ['privateKey'], 'MUTUAL TLS needs a private key (or a credentialName)', 'missing-field');
    }
  });

const tunnelSettings = z.strictObject({
  protocol: z.enum(['CONNECT', 'POST']).optional(),
  targetHost: z.string().superRefine((h, ctx) => {
    if (isIpAddress(h)) return;
    const problem = fqdnProblem(h);
    if (problem)
      fail(ctx, [], `tunnel targetHost must be a host name or IP address: ${problem}`, 'invalid-host');
  }),
  targetPort: portNumber,
});

const proxyProtocol = z.strictObject({ version: z.enum(['V1', 'V2']).optional() });

const policyFields = {
  loadBalancer: loadBalancerSettings.optional(),
  connectionPool: connectionPoolSettings.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTLSSettings.optional(),
};

export const portTrafficPolicy = z
  .strictObject({ port: portSelector, ...policyFields })
  .superRefine((p, ctx) => {
    if (!p.loadBalancer && !p.connectionPool && !p.outlierDetection && !p.tls) {
      fail(
        ctx,
        [],
        'a port-level policy needs at least one of loadBalancer, connectionPool, outlierDetection or tls',
        'missing-field',
      );
    }
  });

export const trafficPolicy = z
  .strictObject({
    ...policyFields,
    portLevelSettings: z.array(portTrafficPolicy).optional(),
    tunnel: tunnelSettings.optional(),
    proxyProtocol: proxyProtocol.optional(),
  })
  .superRefine(
    tolerant((p, ctx) => {
      const fields = [
        'loadBalancer',
        'connectionPool',
        'outlierDetection',
        'tls',
        'portLevelSettings',
        'tunnel',
        'proxyProtocol',
      ] as const;
      if (fields.every((f) => p[f] === undefined)) {
        fail(ctx, [], `a trafficPolicy needs at least one of ${fields.join(', ')}`, 'missing-field');
      }
      atMostOne(p, ['tunnel', 'proxyProtocol'], ctx, 'a trafficPolicy');
    }),
    EVERY_ISSUE,
  );

export type ConsistentHashLB = z.output<typeof consistentHashLB>;
export type LocalityLoadBalancerSetting = z.output<typeof localityLoadBalancerSetting>;
export type LoadBalancerSettings = z.output<typeof loadBalancerSettings>;
export type ConnectionPoolSettings = z.output<typeof connectionPoolSettings>;
export type OutlierDetection = z.output<typeof outlierDetection>;
export type ClientTLSSettings = z.output<typeof clientTLSSettings>;
export type PortTrafficPolicy = z.output<typeof portTrafficPolicy>;
export type TrafficPolicy = z.output<typeof trafficPolicy>;
