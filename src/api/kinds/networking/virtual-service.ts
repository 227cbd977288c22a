// networking.istio.io VirtualService: the routing rules for a set of hosts, for sidecars ("mesh")
// and/or gateways, over HTTP, TLS (by SNI) and TCP.
import { dns1123Label, fail, labels, portNumber, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import {
  destination,
  EVERY_ISSUE,
  exportTo,
  gatewayName,
  ipOrCidr,
  isJwtClaimHeader,
  MESH_GATEWAY,
  tolerant,
} from './common.ts';
import { hostProblem, hostsOverlap, isIpAddress } from './hosts.ts';
import { checkWeights, httpRoute, weight } from './http-route.ts';
import type { HTTPRoute } from './http-route.ts';

export const routeDestination = z.strictObject({ destination, weight: weight.optional() });

const l4Match = {
  destinationSubnets: z.array(ipOrCidr).optional(),
  port: portNumber.optional(),
  sourceLabels: labels.optional(),
  gateways: z.array(gatewayName).optional(),
  sourceNamespace: dns1123Label('sourceNamespace').optional(),
};

export const l4MatchAttributes = z.strictObject(l4Match);

export const tlsMatchAttributes = z.strictObject({
  sniHosts: z.array(z.string()).min(1, 'a TLS match needs at least one SNI host in sniHosts'),
  ...l4Match,
});

export const tcpRoute = z
  .strictObject({
    match: z.array(l4MatchAttributes).optional(),
    route: z.array(routeDestination).min(1, 'a TCP route needs at least one destination in "route"'),
  })
  .superRefine((r, ctx) => checkWeights(r.route, ctx, ['route']));

export const tlsRoute = z
  .strictObject({
    match: z.array(tlsMatchAttributes).min(1, 'a TLS route needs at least one match (with sniHosts)'),
    route: z.array(routeDestination).min(1, 'a TLS route needs at least one destination in "route"'),
  })
  .superRefine((r, ctx) => checkWeights(r.route, ctx, ['route']));

// SNI names Istio generates for AUTO_PASSTHROUGH gateways: outbound_.<port>_._.<host>.
const AUTO_SNI = /^outbound_\.\d+_\._\.[a-zA-Z]/;

function appliesToGateway(gateways: readonly string[] | undefined): boolean {
  return (gateways?.length ?? 0) > 0 && !gateways!.includes(MESH_GATEWAY);
}

function checkHosts(spec: VirtualServiceInput, ctx: z.RefinementCtx): void {
  const hosts = spec.hosts ?? [];
  const onGateway = appliesToGateway(spec.gateways);
  const sni = (spec.tls ?? []).some((t) => t.match?.some((m) => (m.sniHosts?.length ?? 0) > 0));
  let valid = true;
  hosts.forEach((h, i) => {
    if (isIpAddress(h)) return;
    if (onGateway && sni && AUTO_SNI.test(h)) return;
    const problem = hostProblem(h, true);
    if (problem) {
      fail(ctx, ['hosts', i], problem, 'invalid-host');
      valid = false;
    } else if (h === '*' && !onGateway) {
      fail(
        ctx,
        ['hosts', i],
        'the host "*" is only allowed on VirtualServices bound to gateways; for sidecars ("mesh") name the services',
        'invalid-host',
        'add the gateway under "gateways", or list the service hosts',
      );
      valid = false;
    }
  });
  if (!valid) return;
  for (let i = 0; i < hosts.length; i++) {
    for (let j = i + 1; j < hosts.length; j++) {
      if (hostsOverlap(hosts[i]!, hosts[j]!)) {
        fail(
          ctx,
          ['hosts', j],
          `host "${hosts[j]}" duplicates "${hosts[i]}" in this VirtualService`,
          'duplicate-host',
        );
      }
    }
  }
}

function checkSniHosts(spec: VirtualServiceInput, ctx: z.RefinementCtx): void {
  const onGateway = appliesToGateway(spec.gateways);
  (spec.tls ?? []).forEach((route, r) => {
    (route.match ?? []).forEach((m, mi) => {
      (m.sniHosts ?? []).forEach((sni, si) => {
        const path = ['tls', r, 'match', mi, 'sniHosts', si];
        if (isIpAddress(sni)) return; // allowed, though most clients send no IP in SNI
        if (onGateway && AUTO_SNI.test(sni)) return;
        const problem = hostProblem(sni, true);
        if (problem) {
          fail(ctx, path, problem, 'invalid-host');
          return;
        }
        const covered = (spec.hosts ?? []).some(
          (h) => h === '*' || sni === h || (h.startsWith('*') && sni.endsWith(h.slice(1))),
        );
        if (!covered) {
          fail(
            ctx,
            path,
            `SNI host "${sni}" is not one of this VirtualService's hosts (${(spec.hosts ?? []).join(', ')})`,
            'invalid-host',
          );
        }
      });
    });
  });
}

function checkJwtClaimRoutes(spec: VirtualServiceInput, ctx: z.RefinementCtx): void {
  if (appliesToGateway(spec.gateways)) return;
  (spec.http ?? []).forEach((route, r) => {
    (route.match ?? []).forEach((m, mi) => {
      for (const field of ['headers', 'withoutHeaders'] as const) {
        for (const name of Object.keys(m[field] ?? {})) {
          if (isJwtClaimHeader(name)) {
            fail(
              ctx,
              ['http', r, 'match', mi, field, name],
              `routing on JWT claims ("${name}") only works on gateways`,
              'invalid-header',
            );
          }
        }
      }
    });
  });
}

function checkDelegate(spec: VirtualServiceInput, ctx: z.RefinementCtx): void {
  if ((spec.hosts?.length ?? 0) > 0) return;
  // A VirtualService without hosts is a delegate, filled in by a root VirtualService's route.
  if ((spec.gateways?.length ?? 0) > 0) {
    fail(
      ctx,
      ['gateways'],
      'a delegate VirtualService (one without hosts) cannot name gateways',
      'conflicting-fields',
    );
  }
  if ((spec.tls?.length ?? 0) > 0) {
    fail(
      ctx,
      ['tls'],
      'a delegate VirtualService (one without hosts) cannot have tls routes',
      'conflicting-fields',
    );
  }
  if ((spec.tcp?.length ?? 0) > 0) {
    fail(
      ctx,
      ['tcp'],
      'a delegate VirtualService (one without hosts) cannot have tcp routes',
      'conflicting-fields',
    );
  }
  (spec.http ?? []).forEach((route: HTTPRoute, i) => {
    if (route.delegate) {
      fail(
        ctx,
        ['http', i, 'delegate'],
        'a delegate VirtualService cannot delegate again',
        'conflicting-fields',
      );
    }
  });
}

const virtualServiceShape = z.strictObject({
  hosts: z.array(z.string()).optional(),
  gateways: z.array(gatewayName).optional(),
  http: z.array(httpRoute).optional(),
  tls: z.array(tlsRoute).optional(),
  tcp: z.array(tcpRoute).optional(),
  exportTo: exportTo().optional(),
});
type VirtualServiceInput = z.output<typeof virtualServiceShape>;

export const virtualServiceSpec = virtualServiceShape.superRefine(
  tolerant((spec, ctx) => {
    if (!spec.http?.length && !spec.tcp?.length && !spec.tls?.length) {
      fail(
        ctx,
        ['http'],
        'a VirtualService needs at least one route under http, tcp or tls',
        'missing-field',
      );
    }
    checkHosts(spec, ctx);
    checkSniHosts(spec, ctx);
    checkJwtClaimRoutes(spec, ctx);
    checkDelegate(spec, ctx);
  }),
  EVERY_ISSUE,
);

export type RouteDestination = z.output<typeof routeDestination>;
export type L4MatchAttributes = z.output<typeof l4MatchAttributes>;
export type TLSMatchAttributes = z.output<typeof tlsMatchAttributes>;
export type TCPRoute = z.output<typeof tcpRoute>;
export type TLSRoute = z.output<typeof tlsRoute>;
export type VirtualServiceSpec = z.output<typeof virtualServiceSpec>;
export type VirtualService = Resource<'VirtualService', { spec: VirtualServiceSpec }>;
