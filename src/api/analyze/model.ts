// The kinds analyzers read, by name, so that `ctx.list('VirtualService')` is typed.
import type {
  Deployment,
  DestinationRule,
  Gateway,
  Namespace,
  PeerAuthentication,
  Pod,
  Service,
  ServiceEntry,
  VirtualService,
} from '../kinds/index.ts';

export type {
  Deployment,
  Destination,
  DestinationRule,
  Gateway,
  Namespace,
  PeerAuthentication,
  Pod,
  RouteDestination,
  Service,
  ServiceEntry,
  VirtualService,
} from '../kinds/index.ts';

export interface KindMap {
  VirtualService: VirtualService;
  DestinationRule: DestinationRule;
  Gateway: Gateway;
  ServiceEntry: ServiceEntry;
  PeerAuthentication: PeerAuthentication;
  Service: Service;
  Deployment: Deployment;
  Pod: Pod;
  Namespace: Namespace;
}
