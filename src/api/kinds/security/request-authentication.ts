// security.istio.io RequestAuthentication: which JWTs a workload accepts (issuer, keys, where the
// token is found, what is forwarded), as Istio validates them.
import { duration, fail, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { checkPolicyScope, policyScope } from './policy.ts';

const HEADER = /^[-_A-Za-z0-9]+$/;

const jwksUri = z
  .string()
  .max(2048)
  .superRefine((uri, ctx) => {
    let scheme: string | undefined;
    try {
      scheme = new URL(uri).protocol;
    } catch {
      fail(ctx, [], `"${uri}" is not a URL`, 'invalid-value');
      return;
    }
    if (scheme !== 'http:' && scheme !== 'https:')
      fail(ctx, [], `jwksUri "${uri}" must use http:// or https://`, 'invalid-value');
  });

const jwks = z.string().superRefine((text, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(ctx, [], `jwks is not valid JSON: ${(e as Error).message}`, 'invalid-value');
    return;
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  const single = parsed !== null && typeof parsed === 'object' && 'kty' in parsed;
  if (!single && !Array.isArray(keys))
    fail(ctx, [], 'jwks must be a JSON Web Key Set ({"keys": [...]}) or a single key', 'invalid-value');
});

export const jwtHeader = z.strictObject({
  name: z.string().min(1, 'header name must not be empty'),
  prefix: z.string().optional(),
});

export const claimToHeader = z.strictObject({
  header: z
    .string()
    .min(1, 'header must not be empty')
    .regex(HEADER, 'header must be a valid HTTP header name (letters, digits, "-" and "_")'),
  claim: z.string().min(1, 'claim must not be empty'),
});

export const jwtRule = z
  .strictObject({
    issuer: z.string({ error: 'issuer is required' }).min(1, 'issuer must not be empty').max(1024),
    audiences: z.array(z.string().min(1, 'audiences must not contain empty values')).optional(),
    jwksUri: jwksUri.optional(),
    jwks_uri: jwksUri.optional(),
    jwks: jwks.optional(),
    fromHeaders: z.array(jwtHeader).optional(),
    fromParams: z.array(z.string().min(1, 'fromParams must not contain empty values')).optional(),
    fromCookies: z.array(z.string().min(1, 'fromCookies must not contain empty values')).optional(),
    outputPayloadToHeader: z.string().optional(),
    forwardOriginalToken: z.boolean().optional(),
    outputClaimToHeaders: z.array(claimToHeader).optional(),
    timeout: duration().optional(),
  })
  .superRefine((r, ctx) => {
    const keys = (['jwksUri', 'jwks_uri', 'jwks'] as const).filter((f) => r[f] !== undefined);
    if (keys.length > 1)
      fail(ctx, [keys[1]!], 'only one of jwksUri or jwks may be set', 'conflicting-fields');
  })
  // The CRD also accepts the proto spelling jwks_uri; the model keeps one field.
  .transform(({ jwks_uri, ...rest }) => (jwks_uri === undefined ? rest : { ...rest, jwksUri: jwks_uri }));

export const requestAuthenticationSpec = z
  .strictObject({
    ...policyScope,
    jwtRules: z.array(jwtRule).max(4096).optional(),
  })
  .superRefine((spec, ctx) => checkPolicyScope(spec, ctx));

export type JWTHeader = z.output<typeof jwtHeader>;
export type JWTRule = z.output<typeof jwtRule>;
export type RequestAuthenticationSpec = z.output<typeof requestAuthenticationSpec>;
export type RequestAuthentication = Resource<'RequestAuthentication', { spec: RequestAuthenticationSpec }>;
