// The Istio kinds the control plane translates (typed models from the API component).
export type {
  DestinationRule,
  Gateway,
  HTTPMatchRequest,
  HTTPRoute,
  HTTPRouteDestination,
  RouteDestination,
  Sidecar,
  StringMatch,
  TCPRoute,
  TLSRoute,
  TrafficPolicy,
  VirtualService,
} from '../api/index.ts';
