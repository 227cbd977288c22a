// VirtualService HTTP routes: match conditions, destinations, redirects, direct responses,
// rewrites, retries, fault injection, mirroring and CORS, with Istio's admission checks.
import {
  atMostOne,
  dns1123Label,
  exactlyOne,
  fail,
  httpStatus,
  int,
  labels,
  portNumber,
  z,
} from '../../schema/primitives.ts';
import {
  authorityHeaderWrites,
  destination,
  EVERY_ISSUE,
  gatewayName,
  headers,
  istioDuration,
  matchHeaderNameProblem,
  percentage,
  regexProblem,
  stringMatch,
  tolerant,
  uriMatch,
  valueMatch,
} from './common.ts';

function headerMatches(options: { presentRegex?: boolean } = {}) {
  return z.record(z.string(), stringMatch(options)).superRefine((map, ctx) => {
    for (const name of Object.keys(map)) {
      const problem = matchHeaderNameProblem(name);
      if (problem) fail(ctx, [name], problem, 'invalid-header');
    }
  });
}

export const httpMatchRequest = z.strictObject({
  name: z.string().optional(),
  uri: uriMatch.optional(),
  scheme: valueMatch.optional(),
  method: valueMatch.optional(),
  authority: valueMatch.optional(),
  headers: headerMatches().optional(),
  port: portNumber.optional(),
  sourceLabels: labels.optional(),
  gateways: z.array(gatewayName).optional(),
  queryParams: z.record(z.string(), valueMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: headerMatches({ presentRegex: true }).optional(),
  sourceNamespace: dns1123Label('sourceNamespace').optional(),
  statPrefix: z.string().optional(),
});

/** Weights are relative shares; each must be a whole number ≥ 0. */
export const weight = int(0, 2147483647, 'weight');

export const httpRouteDestination = z.strictObject({
  destination,
  weight: weight.optional(),
  headers: headers.optional(),
});

/** Checks shared by HTTP, TCP and TLS routes: with several destinations, some weight must be > 0. */
export function checkWeights(
  route: readonly { weight?: number | undefined }[] | undefined,
  ctx: z.RefinementCtx,
  path: (string | number)[],
): void {
  if (!route || route.length < 2) return;
  const total = route.reduce((sum, d) => sum + (d.weight ?? 0), 0);
  if (total === 0) {
    fail(
      ctx,
      path,
      'the weights of these destinations add up to 0, so no traffic could be sent',
      'invalid-weight',
      'give each destination a weight; weights are shares of the traffic, usually adding up to 100',
    );
  }
}

export const httpRedirect = z
  .strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    port: portNumber.optional(),
    derivePort: z.enum(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']).optional(),
    scheme: z.string().optional(),
    redirectCode: int(0, 2147483647, 'redirectCode').optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.uri && !r.authority && r.port === undefined && r.derivePort === undefined && !r.scheme) {
      fail(
        ctx,
        [],
        'a redirect must change something: set uri, authority, scheme, port or derivePort',
        'missing-field',
      );
    }
    atMostOne(r, ['port', 'derivePort'], ctx, 'a redirect');
    if (
      r.redirectCode !== undefined &&
      r.redirectCode !== 0 &&
      (r.redirectCode < 300 || r.redirectCode > 399)
    ) {
      fail(
        ctx,
        ['redirectCode'],
        `${r.redirectCode} is not a redirect status: use a 3xx code such as 301 or 302`,
        'invalid-value',
      );
    }
    if (r.scheme !== undefined && r.scheme !== '' && r.scheme !== 'http' && r.scheme !== 'https') {
      fail(ctx, ['scheme'], `redirect scheme must be "http" or "https", not "${r.scheme}"`, 'invalid-value');
    }
  });

const MAX_DIRECT_BODY = 1024 * 1024;

export const httpDirectResponse = z.strictObject({
  status: httpStatus,
  body: z
    .strictObject({ string: z.string().optional(), bytes: z.string().optional() })
    .superRefine((b, ctx) => {
      exactlyOne(b, ['string', 'bytes'], ctx, 'a response body');
      if (b.bytes !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(b.bytes.replace(/\s/g, ''))) {
        fail(ctx, ['bytes'], 'body bytes must be base64-encoded', 'invalid-value');
      }
      const size =
        b.string !== undefined ? Buffer.byteLength(b.string) : Math.floor(((b.bytes ?? '').length * 3) / 4);
      if (size > MAX_DIRECT_BODY) {
        fail(ctx, [], 'a direct response body must be smaller than 1MB', 'invalid-value');
      }
    })
    .optional(),
});

export const delegate = z.strictObject({
  name: z.string({ error: 'a delegate needs the name of the VirtualService to delegate to' }),
  namespace: dns1123Label('namespace').optional(),
});

export const httpRewrite = z
  .strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    uriRegexRewrite: z
      .strictObject({ match: z.string(), rewrite: z.string() })
      .superRefine((r, ctx) => {
        if (r.match === '') fail(ctx, ['match'], 'uriRegexRewrite needs a regex to match', 'missing-field');
        else {
          const problem = regexProblem(r.match);
          if (problem) fail(ctx, ['match'], problem, 'invalid-regex');
        }
        if (r.rewrite === '')
          fail(ctx, ['rewrite'], 'uriRegexRewrite needs the replacement text', 'missing-field');
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.uri && r.uriRegexRewrite) {
      fail(
        ctx,
        ['uriRegexRewrite'],
        'a rewrite takes only one of "uri" and "uriRegexRewrite"',
        'conflicting-fields',
      );
    }
    if (!r.uri && !r.uriRegexRewrite && !r.authority) {
      fail(ctx, [], 'a rewrite must set uri, uriRegexRewrite or authority', 'missing-field');
    }
  });

// Envoy's retry-on conditions (x-envoy-retry-on and x-envoy-retry-grpc-on).
const RETRY_ON = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

export const httpRetry = z
  .strictObject({
    attempts: int(0, 2147483647, 'attempts').optional(),
    perTryTimeout: istioDuration().optional(),
    retryOn: z.string().optional(),
    retryRemoteLocalities: z.boolean().optional(),
    retryIgnorePreviousHosts: z.boolean().optional(),
    backoff: istioDuration().optional(),
  })
  .superRefine((r, ctx) => {
    if (
      !r.attempts &&
      (r.perTryTimeout !== undefined || (r.retryOn ?? '') !== '' || r.retryRemoteLocalities !== undefined)
    ) {
      fail(
        ctx,
        ['attempts'],
        'retries are configured but attempts is 0 (or not set), which turns retries off',
        'invalid-value',
        'set attempts to the number of retries, such as 3',
      );
    }
    for (const policy of r.retryOn ? r.retryOn.split(',') : []) {
      const code = /^\d{3}$/.test(policy) ? Number(policy) : 0;
      if (!RETRY_ON.has(policy) && !(code >= 100 && code <= 599)) {
        fail(
          ctx,
          ['retryOn'],
          `"${policy}" is not a retry condition`,
          'invalid-value',
          'use a comma-separated list of 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, HTTP status codes, or gRPC statuses such as unavailable',
        );
      }
    }
  });

const GRPC_STATUSES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export const httpFaultInjection = z
  .strictObject({
    delay: z
      .strictObject({
        fixedDelay: istioDuration().optional(),
        exponentialDelay: istioDuration().optional(),
        percentage: percentage.optional(),
        percent: int(0, 100, 'percent').optional(),
      })
      .superRefine((d, ctx) => {
        if (d.exponentialDelay !== undefined) {
          fail(ctx, ['exponentialDelay'], 'exponentialDelay is not supported; use fixedDelay', 'unsupported');
        } else if (d.fixedDelay === undefined) {
          fail(ctx, [], 'a delay fault needs fixedDelay, such as "5s"', 'missing-field');
        }
        atMostOne(d, ['percentage', 'percent'], ctx, 'a delay');
      })
      .optional(),
    abort: z
      .strictObject({
        httpStatus: httpStatus.optional(),
        grpcStatus: z.enum(GRPC_STATUSES).optional(),
        http2Error: z.string().optional(),
        percentage: percentage.optional(),
      })
      .superRefine((a, ctx) => {
        if (a.http2Error !== undefined) {
          fail(
            ctx,
            ['http2Error'],
            'http2Error aborts are not supported; use httpStatus or grpcStatus',
            'unsupported',
          );
        }
        const set = (['httpStatus', 'grpcStatus'] as const).filter((k) => a[k] !== undefined);
        if (set.length === 0 && a.http2Error === undefined) {
          fail(
            ctx,
            [],
            'an abort fault needs the status to return: set httpStatus (such as 503) or grpcStatus',
            'missing-field',
          );
        } else if (set.length > 1) {
          fail(
            ctx,
            ['grpcStatus'],
            'an abort takes only one of "httpStatus" and "grpcStatus"',
            'conflicting-fields',
          );
        }
      })
      .optional(),
  })
  .superRefine((f, ctx) => {
    if (!f.delay && !f.abort) {
      fail(ctx, [], 'a fault needs a delay, an abort, or both', 'missing-field');
    }
  });

const CORS_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  '*',
]);
const CORS_HEADER = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)$/;

const corsHeaderList = z.array(z.string()).superRefine((list, ctx) => {
  list.forEach((h, i) => {
    if (!CORS_HEADER.test(h)) fail(ctx, [i], `"${h}" is not a valid HTTP header name`, 'invalid-header');
  });
});

export const corsPolicy = z.strictObject({
  allowOrigin: z.array(z.string()).optional(),
  allowOrigins: z.array(valueMatch).optional(),
  allowMethods: z
    .array(z.string())
    .superRefine((list, ctx) => {
      list.forEach((m, i) => {
        if (!CORS_METHODS.has(m)) {
          fail(
            ctx,
            [i],
            `"${m}" is not an HTTP method`,
            'invalid-value',
            'use upper-case methods such as GET, POST, PUT, DELETE or OPTIONS',
          );
        }
      });
    })
    .optional(),
  allowHeaders: corsHeaderList.optional(),
  exposeHeaders: corsHeaderList.optional(),
  maxAge: istioDuration()
    .superRefine((ms, ctx) => {
      if (ms % 1000 !== 0)
        fail(ctx, [], 'maxAge is accurate to the second: use whole seconds', 'invalid-duration');
    })
    .optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: z.enum(['UNSPECIFIED', 'FORWARD', 'IGNORE']).optional(),
});

export const httpMirrorPolicy = z.strictObject({
  destination,
  percentage: percentage.optional(),
});

export const httpRoute = z
  .strictObject({
    name: z.string().optional(),
    match: z.array(httpMatchRequest).optional(),
    route: z.array(httpRouteDestination).optional(),
    redirect: httpRedirect.optional(),
    directResponse: httpDirectResponse.optional(),
    delegate: delegate.optional(),
    rewrite: httpRewrite.optional(),
    timeout: istioDuration().optional(),
    retries: httpRetry.optional(),
    fault: httpFaultInjection.optional(),
    mirror: destination.optional(),
    mirrors: z.array(httpMirrorPolicy).optional(),
    mirrorPercent: int(0, 100, 'mirrorPercent').optional(),
    mirrorPercentage: percentage.optional(),
    corsPolicy: corsPolicy.optional(),
    headers: headers.optional(),
  })
  .superRefine(
    tolerant((r, ctx) => {
      const hasRoute = (r.route?.length ?? 0) > 0;
      if (r.delegate) {
        // A delegating route hands the request to another VirtualService and does nothing else.
        if (r.redirect)
          fail(ctx, ['redirect'], 'a route with a delegate cannot also redirect', 'conflicting-fields');
        if (r.route)
          fail(ctx, ['route'], 'a route with a delegate cannot also have destinations', 'conflicting-fields');
      } else if (r.redirect) {
        if (hasRoute) {
          fail(
            ctx,
            ['redirect'],
            'a route cannot have both destinations ("route") and a "redirect"',
            'conflicting-fields',
            'split them into two routes with different matches',
          );
        }
        if (r.fault)
          fail(ctx, ['fault'], 'a route cannot have both a "fault" and a "redirect"', 'conflicting-fields');
        if (r.rewrite)
          fail(
            ctx,
            ['rewrite'],
            'a route cannot have both a "rewrite" and a "redirect"',
            'conflicting-fields',
          );
        if (r.directResponse) {
          fail(
            ctx,
            ['directResponse'],
            'a route cannot have both a "directResponse" and a "redirect"',
            'conflicting-fields',
          );
        }
      } else if (r.directResponse) {
        if (hasRoute) {
          fail(
            ctx,
            ['directResponse'],
            'a route cannot have both destinations ("route") and a "directResponse"',
            'conflicting-fields',
          );
        }
        if (r.fault)
          fail(
            ctx,
            ['fault'],
            'a route cannot have both a "fault" and a "directResponse"',
            'conflicting-fields',
          );
        if (r.rewrite)
          fail(
            ctx,
            ['rewrite'],
            'a route cannot have both a "rewrite" and a "directResponse"',
            'conflicting-fields',
          );
      } else if (!hasRoute) {
        fail(
          ctx,
          r.route ? ['route'] : [],
          'an HTTP route must say where requests go: give it "route" destinations, a "redirect", a "directResponse" or a "delegate"',
          'missing-field',
        );
      }
      atMostOne(r, ['mirror', 'mirrors'], ctx, 'a route');
      atMostOne(r, ['mirrorPercentage', 'mirrorPercent'], ctx, 'a route');
      const authority = [
        ...(r.rewrite?.authority ? ['rewrite.authority'] : []),
        ...authorityHeaderWrites(r.headers),
      ];
      if (authority.length > 1) {
        fail(
          ctx,
          r.rewrite?.authority ? ['rewrite', 'authority'] : ['headers', 'request'],
          `the authority is set more than once (${authority.join(', ')}); set it in one place`,
          'conflicting-fields',
        );
      }
      checkWeights(r.route, ctx, ['route']);
    }),
    EVERY_ISSUE,
  );

export type StringMatch = z.output<typeof valueMatch>;
export type HTTPMatchRequest = z.output<typeof httpMatchRequest>;
export type HTTPRouteDestination = z.output<typeof httpRouteDestination>;
export type HTTPRedirect = z.output<typeof httpRedirect>;
export type HTTPDirectResponse = z.output<typeof httpDirectResponse>;
export type Delegate = z.output<typeof delegate>;
export type HTTPRewrite = z.output<typeof httpRewrite>;
export type HTTPRetry = z.output<typeof httpRetry>;
export type HTTPFaultInjection = z.output<typeof httpFaultInjection>;
export type CorsPolicy = z.output<typeof corsPolicy>;
export type HTTPMirrorPolicy = z.output<typeof httpMirrorPolicy>;
export type HTTPRoute = z.output<typeof httpRoute>;
