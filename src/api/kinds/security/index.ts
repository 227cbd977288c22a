// security.istio.io kinds: PeerAuthentication, AuthorizationPolicy, RequestAuthentication.
import type { KindRegistry } from '../registry.ts';
import { authorizationPolicySpec } from './authorization-policy.ts';
import { peerAuthenticationSpec } from './peer-authentication.ts';
import { requestAuthenticationSpec } from './request-authentication.ts';

export type {
  AuthorizationPolicy,
  AuthorizationPolicySpec,
  Condition,
  Operation,
  Rule,
  Source,
} from './authorization-policy.ts';
export type {
  MtlsMode,
  MutualTLS,
  PeerAuthentication,
  PeerAuthenticationSpec,
} from './peer-authentication.ts';
export { MTLS_MODES } from './peer-authentication.ts';
export type { PolicyTargetRef } from './policy.ts';
export type {
  JWTHeader,
  JWTRule,
  RequestAuthentication,
  RequestAuthenticationSpec,
} from './request-authentication.ts';

const SECURITY = 'security.istio.io';
const VERSIONS = ['v1', 'v1beta1'] as const;

// An empty spec is meaningful for these kinds (an AuthorizationPolicy with no rules allows
// nothing), so an absent spec stands for {}.
export function registerSecurityKinds(registry: KindRegistry): void {
  registry.add({
    kind: 'PeerAuthentication',
    group: SECURITY,
    versions: VERSIONS,
    namespaced: true,
    plural: 'peerauthentications',
    shortNames: ['pa'],
    body: { spec: peerAuthenticationSpec.default({}) },
    requiredBody: ['spec'],
  });
  registry.add({
    kind: 'AuthorizationPolicy',
    group: SECURITY,
    versions: VERSIONS,
    namespaced: true,
    plural: 'authorizationpolicies',
    shortNames: ['ap'],
    body: { spec: authorizationPolicySpec.default({}) },
    requiredBody: ['spec'],
  });
  registry.add({
    kind: 'RequestAuthentication',
    group: SECURITY,
    versions: VERSIONS,
    namespaced: true,
    plural: 'requestauthentications',
    shortNames: ['ra'],
    body: { spec: requestAuthenticationSpec.default({}) },
    requiredBody: ['spec'],
  });
}
