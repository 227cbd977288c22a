// The catalogue of analysis messages. IST codes are Istio's own (pkg/config/analysis/msg), with
// Istio's names, levels and wording, so a message reads the same as `istioctl analyze` prints it.
// Caravel adds codes only where Istio has none; they live in a separate range, CVL1001 upwards,
// and each says below why Istio has no counterpart.

export type Level = 'Error' | 'Warning' | 'Info';

export interface MessageType {
  readonly code: string;
  readonly name: string;
  readonly level: Level;
  readonly description: string;
}

/** A message type with its text filled in; analyzers build these with the functions below. */
export interface MessageText {
  readonly type: MessageType;
  readonly text: string;
}

function type(code: string, name: string, level: Level, description: string): MessageType {
  return Object.freeze({ code, name, level, description });
}

export const ReferencedResourceNotFound = type(
  'IST0101',
  'ReferencedResourceNotFound',
  'Error',
  'A resource being referenced does not exist.',
);
export const NamespaceNotInjected = type(
  'IST0102',
  'NamespaceNotInjected',
  'Info',
  'A namespace is not enabled for sidecar injection.',
);
export const SchemaValidationError = type(
  'IST0106',
  'SchemaValidationError',
  'Error',
  'The resource has a schema validation error.',
);
export const ConflictingMeshGatewayVirtualServiceHosts = type(
  'IST0109',
  'ConflictingMeshGatewayVirtualServiceHosts',
  'Error',
  'Conflicting hosts on VirtualServices associated with mesh gateway.',
);
export const VirtualServiceDestinationPortSelectorRequired = type(
  'IST0112',
  'VirtualServiceDestinationPortSelectorRequired',
  'Error',
  'A VirtualService routes to a service with more than one port exposed, but does not specify which to use.',
);
export const VirtualServiceUnreachableRule = type(
  'IST0130',
  'VirtualServiceUnreachableRule',
  'Warning',
  'A VirtualService rule will never be used because a previous rule uses the same match.',
);
export const VirtualServiceIneffectiveMatch = type(
  'IST0131',
  'VirtualServiceIneffectiveMatch',
  'Info',
  'A VirtualService rule match duplicates a match in a previous rule.',
);
export const VirtualServiceHostNotFoundInGateway = type(
  'IST0132',
  'VirtualServiceHostNotFoundInGateway',
  'Warning',
  'Host defined in VirtualService not found in Gateway.',
);
export const SchemaWarning = type(
  'IST0133',
  'SchemaWarning',
  'Warning',
  'The resource has a schema validation warning.',
);
export const DestinationRuleSubsetNotSelectPods = type(
  'IST0173',
  'DestinationRuleSubsetNotSelectPods',
  'Error',
  'Subsets defined in destination does not select any pods.',
);
export const UnknownDestinationRuleHost = type(
  'IST0174',
  'UnknownDestinationRuleHost',
  'Warning',
  'Host defined in destination rule does not match any services in the mesh.',
);

// Caravel's own range. Istio accepts each of these configurations and resolves them silently
// (normalising weights, merging or ignoring resources by age), so it has no message for them.
export const RouteWeightsNotHundred = type(
  'CVL1001',
  'RouteWeightsNotHundred',
  'Warning',
  'The weights of a route do not sum to 100; traffic is split in proportion to them.',
);
export const SingleDestinationWeightIgnored = type(
  'CVL1002',
  'SingleDestinationWeightIgnored',
  'Warning',
  'A route with one destination sends it all traffic, whatever weight it is given.',
);
export const ConflictingDestinationRules = type(
  'CVL1003',
  'ConflictingDestinationRules',
  'Warning',
  'DestinationRules in one namespace for the same host are merged, and settings of the newer one are ignored.',
);
export const MergedDestinationRules = type(
  'CVL1004',
  'MergedDestinationRules',
  'Info',
  'DestinationRules in one namespace for the same host are merged into one.',
);
export const ConflictingGatewayVirtualServiceHosts = type(
  'CVL1005',
  'ConflictingGatewayVirtualServiceHosts',
  'Warning',
  'VirtualServices bound to the same gateway define the same host; their routes are merged in creation order.',
);
export const ConflictingPeerAuthentications = type(
  'CVL1006',
  'ConflictingPeerAuthentications',
  'Warning',
  'PeerAuthentications of one scope disagree; only the oldest applies.',
);

/** Every message type, in code order (for `caravel analyze --list-analyzers` and the docs). */
export const messageTypes: readonly MessageType[] = [
  ReferencedResourceNotFound,
  NamespaceNotInjected,
  SchemaValidationError,
  ConflictingMeshGatewayVirtualServiceHosts,
  VirtualServiceDestinationPortSelectorRequired,
  VirtualServiceUnreachableRule,
  VirtualServiceIneffectiveMatch,
  VirtualServiceHostNotFoundInGateway,
  SchemaWarning,
  DestinationRuleSubsetNotSelectPods,
  UnknownDestinationRuleHost,
  RouteWeightsNotHundred,
  SingleDestinationWeightIgnored,
  ConflictingDestinationRules,
  MergedDestinationRules,
  ConflictingGatewayVirtualServiceHosts,
  ConflictingPeerAuthentications,
];

const q = (s: string): string => JSON.stringify(s);

// Texts, one function per message, following Istio's templates where the code is Istio's.
export const msg = {
  referencedResourceNotFound: (reftype: string, refval: string): MessageText => ({
    type: ReferencedResourceNotFound,
    text: `Referenced ${reftype} not found: ${q(refval)}`,
  }),
  namespaceNotInjected: (ns: string): MessageText => ({
    type: NamespaceNotInjected,
    text:
      `The namespace is not enabled for sidecar injection. Run 'caravel label namespace ${ns} istio-injection=enabled' ` +
      `to enable it, or 'caravel label namespace ${ns} istio-injection=disabled' to explicitly mark it as not needing injection.`,
  }),
  schemaValidationError: (detail: string): MessageText => ({
    type: SchemaValidationError,
    text: `Schema validation error: ${detail}`,
  }),
  schemaWarning: (detail: string): MessageText => ({
    type: SchemaWarning,
    text: `Schema validation warning: ${detail}`,
  }),
  conflictingMeshGatewayHosts: (virtualServices: string, host: string): MessageText => ({
    type: ConflictingMeshGatewayVirtualServiceHosts,
    text:
      `The VirtualServices ${virtualServices} associated with mesh gateway define the same host ${host} which can ` +
      `lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
  }),
  destinationPortSelectorRequired: (host: string, ports: readonly number[]): MessageText => ({
    type: VirtualServiceDestinationPortSelectorRequired,
    text:
      `This VirtualService routes to a service ${q(host)} that exposes multiple ports [${ports.join(' ')}]. ` +
      `Specifying a port in the destination is required to disambiguate.`,
  }),
  unreachableRule: (rule: string, reason: string): MessageText => ({
    type: VirtualServiceUnreachableRule,
    text: `VirtualService rule ${rule} not used (${reason}).`,
  }),
  ineffectiveMatch: (rule: string, match: string, dup: string): MessageText => ({
    type: VirtualServiceIneffectiveMatch,
    text: `VirtualService rule ${rule} match ${match} is not used (duplicate/overlapping match in rule ${dup}).`,
  }),
  hostNotFoundInGateway: (
    hosts: readonly string[],
    virtualService: string,
    gateway: string,
  ): MessageText => ({
    type: VirtualServiceHostNotFoundInGateway,
    text: `one or more host [${hosts.join(' ')}] defined in VirtualService ${virtualService} not found in Gateway ${gateway}.`,
  }),
  subsetNotSelectPods: (subset: string): MessageText => ({
    type: DestinationRuleSubsetNotSelectPods,
    text: `The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
  }),
  unknownDestinationRuleHost: (host: string): MessageText => ({
    type: UnknownDestinationRuleHost,
    text: `The host ${host} defined in the DestinationRule does not match any services in the mesh.`,
  }),
  routeWeightsNotHundred: (route: string, total: number, shares: string): MessageText => ({
    type: RouteWeightsNotHundred,
    text: `The weights of ${route} sum to ${total}, not 100; traffic is split in proportion to them (${shares}).`,
  }),
  singleDestinationWeightIgnored: (route: string, weight: number): MessageText => ({
    type: SingleDestinationWeightIgnored,
    text: `The only destination of ${route} has weight ${weight}; a lone destination receives all traffic whatever its weight.`,
  }),
  conflictingDestinationRules: (
    host: string,
    ignored: readonly { what: string; owner: string }[],
  ): MessageText => ({
    type: ConflictingDestinationRules,
    text: `This DestinationRule is merged with older ones for host ${host}: ${ignored
      .map((i) => `its ${i.what} is ignored in favour of ${i.owner}'s`)
      .join('; ')}.`,
  }),
  mergedDestinationRules: (host: string, others: string): MessageText => ({
    type: MergedDestinationRules,
    text: `This DestinationRule and ${others} both apply to host ${host}; they are merged into one.`,
  }),
  conflictingGatewayHosts: (virtualServices: string, gateway: string, host: string): MessageText => ({
    type: ConflictingGatewayVirtualServiceHosts,
    text:
      `The VirtualServices ${virtualServices} bound to gateway ${gateway} define the same host ${host}; their routes ` +
      `are merged in creation order, so a catch-all route of the older one hides the routes of the newer one.`,
  }),
  conflictingPeerAuthentications: (
    scope: string,
    older: string,
    olderMode: string,
    mode: string,
  ): MessageText => ({
    type: ConflictingPeerAuthentications,
    text: `This PeerAuthentication (mTLS ${mode}) and ${older} (mTLS ${olderMode}) are both ${scope}; only the older one, ${older}, applies.`,
  }),
};
