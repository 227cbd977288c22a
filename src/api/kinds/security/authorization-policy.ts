// security.istio.io AuthorizationPolicy: ALLOW/DENY/AUDIT/CUSTOM rules over request sources,
// operations and conditions, with the checks Istio applies before accepting a policy.
import { closest } from '../../schema/introspect.ts';
import { fail, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { cidrProblem, ipOrCidr } from '../networking/common.ts';
import { checkPolicyScope, nonEmptyStrings, policyScope, portString } from './policy.ts';

const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
  'serviceAccounts',
  'notServiceAccounts',
] as const;

const OPERATION_FIELDS = [
  'hosts',
  'notHosts',
  'ports',
  'notPorts',
  'methods',
  'notMethods',
  'paths',
  'notPaths',
] as const;

const serviceAccountName = z
  .string()
  .min(1, 'serviceAccounts must not contain empty values')
  .max(320, 'a service account reference is at most 320 characters');

export const source = z
  .strictObject({
    principals: nonEmptyStrings('principals').optional(),
    notPrincipals: nonEmptyStrings('notPrincipals').optional(),
    requestPrincipals: nonEmptyStrings('requestPrincipals').optional(),
    notRequestPrincipals: nonEmptyStrings('notRequestPrincipals').optional(),
    namespaces: nonEmptyStrings('namespaces').optional(),
    notNamespaces: nonEmptyStrings('notNamespaces').optional(),
    ipBlocks: z.array(ipOrCidr).optional(),
    notIpBlocks: z.array(ipOrCidr).optional(),
    remoteIpBlocks: z.array(ipOrCidr).optional(),
    notRemoteIpBlocks: z.array(ipOrCidr).optional(),
    serviceAccounts: z.array(serviceAccountName).max(16).optional(),
    notServiceAccounts: z.array(serviceAccountName).max(16).optional(),
  })
  .superRefine((s, ctx) => {
    if (SOURCE_FIELDS.every((f) => (s[f]?.length ?? 0) === 0))
      fail(
        ctx,
        [],
        'a source must set at least one field',
        'missing-field',
        `fields: ${SOURCE_FIELDS.join(', ')}`,
      );
    for (const f of ['serviceAccounts', 'notServiceAccounts'] as const) {
      if ((s[f]?.length ?? 0) === 0) continue;
      for (const other of ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'] as const)
        if ((s[other]?.length ?? 0) > 0)
          fail(ctx, [f], `${f} cannot be combined with ${other}`, 'conflicting-fields');
    }
  });

/** A path template ({*}, {**}) in the forms Istio supports: no named variables, no bare * segments. */
function pathTemplateProblem(path: string): string | undefined {
  if (!path.includes('{*}') && !path.includes('{**}')) return undefined;
  if (/\/\{\w+=\*\*?\}|\{\w*\}|\/\*\*?|\*\*?\//.test(path))
    return `"${path}" is not a supported path template: use {*} for one segment or {**} for the rest, without names`;
  return undefined;
}

const pathList = (what: string) =>
  nonEmptyStrings(what).superRefine((paths, ctx) => {
    paths.forEach((p, i) => {
      const problem = pathTemplateProblem(p);
      if (problem) fail(ctx, [i], problem, 'invalid-path');
    });
  });

export const operation = z
  .strictObject({
    hosts: nonEmptyStrings('hosts').optional(),
    notHosts: nonEmptyStrings('notHosts').optional(),
    ports: z.array(portString).optional(),
    notPorts: z.array(portString).optional(),
    methods: nonEmptyStrings('methods').optional(),
    notMethods: nonEmptyStrings('notMethods').optional(),
    paths: pathList('paths').optional(),
    notPaths: pathList('notPaths').optional(),
  })
  .superRefine((o, ctx) => {
    if (OPERATION_FIELDS.every((f) => (o[f]?.length ?? 0) === 0))
      fail(
        ctx,
        [],
        'an operation must set at least one field',
        'missing-field',
        `fields: ${OPERATION_FIELDS.join(', ')}`,
      );
  });

const PLAIN_KEYS = [
  'source.ip',
  'remote.ip',
  'source.namespace',
  'source.principal',
  'request.auth.principal',
  'request.auth.audiences',
  'request.auth.presenter',
  'destination.ip',
  'destination.port',
  'connection.sni',
];
const MAP_KEYS = ['request.headers', 'request.auth.claims'];

/** Why `key` is not a condition key Istio supports, or undefined when it is one. */
function conditionKeyProblem(key: string): string | undefined {
  const mapKey = (prefix: string) =>
    key.startsWith(`${prefix}[`) && key.endsWith(']') && key.length > prefix.length + 2
      ? undefined
      : `"${key}" must be written as ${prefix}[name]`;
  if (key.startsWith('request.headers')) return mapKey('request.headers');
  if (key.startsWith('request.auth.claims')) return mapKey('request.auth.claims');
  if (key.startsWith('experimental.envoy.filters.')) {
    const open = key.indexOf('[');
    return open > 0 && key.endsWith(']') && open < key.length - 2
      ? undefined
      : `"${key}" must be written as name[key]`;
  }
  if (PLAIN_KEYS.includes(key)) return undefined;
  switch (key) {
    case 'destination.namespace':
      return `"${key}" is not supported: the policy's own namespace (metadata.namespace) selects the destination namespace`;
    case 'destination.name':
    case 'destination.user':
      return `"${key}" is not supported: it existed only in the v1alpha1 RBAC API`;
  }
  if (key.startsWith('destination.labels'))
    return `"${key}" is not supported: use the policy's selector to choose workloads by label`;
  return `unknown condition key "${key}"`;
}

const CONDITION_KEYS = [
  'request.headers[name]',
  ...PLAIN_KEYS,
  'request.auth.claims[name]',
  'experimental.envoy.filters.*',
].join(', ');

/** A likely intended key for a misspelt one ("request.header[x]" → "request.headers[x]"). */
function keySuggestion(key: string): string | undefined {
  const open = key.indexOf('[');
  if (open < 0) return closest(key, PLAIN_KEYS);
  const prefix = closest(key.slice(0, open), MAP_KEYS);
  return prefix && `${prefix}${key.slice(open)}`;
}

export const condition = z
  .strictObject({
    key: z.string().min(1, 'key must not be empty'),
    values: nonEmptyStrings('values').optional(),
    notValues: nonEmptyStrings('notValues').optional(),
  })
  .superRefine((c, ctx) => {
    const problem = conditionKeyProblem(c.key);
    if (problem) {
      const guess = keySuggestion(c.key);
      fail(
        ctx,
        ['key'],
        problem,
        'invalid-key',
        guess && guess !== c.key ? `did you mean "${guess}"?` : `supported keys: ${CONDITION_KEYS}`,
      );
      return;
    }
    if ((c.values?.length ?? 0) === 0 && (c.notValues?.length ?? 0) === 0) {
      fail(ctx, [], `condition "${c.key}" needs values or notValues`, 'missing-field');
      return;
    }
    for (const f of ['values', 'notValues'] as const) {
      c[f]?.forEach((v, i) => {
        let problem: string | undefined;
        if (c.key === 'source.ip' || c.key === 'remote.ip' || c.key === 'destination.ip')
          problem = cidrProblem(v);
        else if (c.key === 'destination.port' && (!/^\d+$/.test(v) || Number(v) > 65535))
          problem = `"${v}" is not a port number`;
        if (problem) fail(ctx, [f, i], problem, 'invalid-value');
      });
    }
  });

export const rule = z.strictObject({
  from: z
    .array(z.strictObject({ source: source }))
    .min(1, 'from must not be empty: leave it out to match any source')
    .optional(),
  to: z
    .array(z.strictObject({ operation: operation }))
    .min(1, 'to must not be empty: leave it out to match any operation')
    .optional(),
  when: z.array(condition).optional(),
});

const ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;

export const authorizationPolicySpec = z
  .strictObject({
    ...policyScope,
    rules: z.array(rule).optional(),
    action: z.enum(ACTIONS).optional(),
    provider: z.strictObject({ name: z.string().min(1, 'provider name must not be empty') }).optional(),
  })
  .superRefine((spec, ctx) => {
    checkPolicyScope(spec, ctx);
    const action = spec.action ?? 'ALLOW';
    if (action === 'CUSTOM') {
      if (spec.rules === undefined)
        fail(
          ctx,
          ['action'],
          'a CUSTOM policy without rules never applies',
          'missing-field',
          'add an empty rule `rules: [{}]` to apply it to every request',
        );
      if (!spec.provider)
        fail(ctx, ['provider'], 'a CUSTOM policy needs a provider (provider.name)', 'missing-field');
      spec.rules?.forEach((r, i) => {
        r.from?.forEach((f, j) => {
          for (const field of [
            'namespaces',
            'notNamespaces',
            'principals',
            'notPrincipals',
            'requestPrincipals',
            'notRequestPrincipals',
          ] as const)
            if ((f.source[field]?.length ?? 0) > 0)
              fail(
                ctx,
                ['rules', i, 'from', j, 'source', field],
                `${field} is not supported with the CUSTOM action`,
                'unsupported',
              );
        });
        r.when?.forEach((c, j) => {
          if (
            c.key === 'source.namespace' ||
            c.key === 'source.principal' ||
            c.key.startsWith('request.auth.')
          )
            fail(
              ctx,
              ['rules', i, 'when', j, 'key'],
              `condition "${c.key}" is not supported with the CUSTOM action`,
              'unsupported',
            );
        });
      });
    } else if (spec.provider) {
      fail(
        ctx,
        ['provider'],
        `provider is only allowed with action CUSTOM, not ${action}`,
        'conflicting-fields',
      );
    }
    if (action === 'DENY' && spec.rules === undefined)
      fail(
        ctx,
        ['action'],
        'a DENY policy without rules never applies',
        'missing-field',
        'add an empty rule `rules: [{}]` to deny every request',
      );
  });

export type Source = z.output<typeof source>;
export type Operation = z.output<typeof operation>;
export type Condition = z.output<typeof condition>;
export type Rule = z.output<typeof rule>;
export type AuthorizationPolicySpec = z.output<typeof authorizationPolicySpec>;
export type AuthorizationPolicy = Resource<'AuthorizationPolicy', { spec: AuthorizationPolicySpec }>;
