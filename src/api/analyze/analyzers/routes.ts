// Walks the destinations of a VirtualService, each with the field path it was written at.
import type { PathSegment } from '../../load/path.ts';
import type { Destination, RouteDestination, VirtualService } from '../model.ts';

export interface RouteList {
  /** "http[0]", "tcp[1]"… as a user would find it in the spec. */
  readonly rule: string;
  readonly path: readonly PathSegment[];
  readonly route: readonly RouteDestination[];
}

export interface PlacedDestination {
  readonly destination: Destination;
  /** Path of the destination object (its host is at [...path, 'host']). */
  readonly path: readonly PathSegment[];
  readonly mirror: boolean;
}

/** Every route list of the http, tcp and tls rules. */
export function routeLists(vs: VirtualService): RouteList[] {
  const out: RouteList[] = [];
  for (const proto of ['http', 'tcp', 'tls'] as const) {
    (vs.spec[proto] ?? []).forEach((rule, i) => {
      if (rule.route)
        out.push({ rule: `${proto}[${i}]`, path: ['spec', proto, i, 'route'], route: rule.route });
    });
  }
  return out;
}

/** Every destination: routes of all protocols, then HTTP mirrors. */
export function destinations(vs: VirtualService): PlacedDestination[] {
  const out: PlacedDestination[] = [];
  for (const list of routeLists(vs)) {
    list.route.forEach((rd, j) =>
      out.push({ destination: rd.destination, path: [...list.path, j, 'destination'], mirror: false }),
    );
  }
  (vs.spec.http ?? []).forEach((rule, i) => {
    if (rule.mirror)
      out.push({ destination: rule.mirror, path: ['spec', 'http', i, 'mirror'], mirror: true });
    rule.mirrors?.forEach((m, j) =>
      out.push({
        destination: m.destination,
        path: ['spec', 'http', i, 'mirrors', j, 'destination'],
        mirror: true,
      }),
    );
  });
  return out;
}

/** Gateways a VirtualService is bound to; none means the mesh (every sidecar). */
export function boundGateways(vs: VirtualService): readonly string[] {
  return vs.spec.gateways && vs.spec.gateways.length > 0 ? vs.spec.gateways : ['mesh'];
}

/** "ns/name" of a gateway reference: "name", "ns/name" or the older "name.ns…" form. */
export function resolveGateway(vsNamespace: string, ref: string): string {
  if (ref.includes('/')) return ref;
  if (ref.includes('.')) {
    const [name, ns] = ref.split('.');
    return `${ns}/${name}`;
  }
  return `${vsNamespace}/${ref}`;
}
