// envoy.filters.http.cors: CORS policies from routes or virtual hosts (typed_per_filter_config).
// Preflights from allowed origins are answered by the proxy; other requests from allowed origins
// get the Access-Control-* response headers.
import { stringMatcher } from '../../router/matchers.ts';
import type { Test } from '../../router/matchers.ts';
import type { Obj, Reader } from '../../xds/decode/read.ts';
import { fraction, obj, objs, str, wrappedBool } from '../../xds/decode/read.ts';
import type { HttpStream } from '../stream.ts';
import type { FilterStatus, HttpFilter, HttpFilterFactory } from './registry.ts';

export const CORS_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
export const CORS_POLICY_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

export interface CorsPolicy {
  readonly origins: readonly Test[];
  readonly allowMethods: string | undefined;
  readonly allowHeaders: string | undefined;
  readonly exposeHeaders: string | undefined;
  readonly maxAge: string | undefined;
  readonly allowCredentials: boolean;
  readonly enabled: number;
  readonly forwardNotMatchingPreflights: boolean;
}

function parsePolicy(r: Reader, c: Obj, path: string): CorsPolicy {
  const fe = obj(c, 'filterEnabled');
  return {
    origins: objs(c, 'allowOriginStringMatch').map((m, i) =>
      stringMatcher(r, m, `${path}.allow_origin_string_match[${i}]`),
    ),
    allowMethods: str(c, 'allowMethods'),
    allowHeaders: str(c, 'allowHeaders'),
    exposeHeaders: str(c, 'exposeHeaders'),
    maxAge: str(c, 'maxAge'),
    allowCredentials: wrappedBool(c, 'allowCredentials') ?? false,
    enabled: fe ? fraction(obj(fe, 'defaultValue')) : 1,
    forwardNotMatchingPreflights: wrappedBool(c, 'forwardNotMatchingPreflights') ?? true,
  };
}

class CorsFilter implements HttpFilter {
  decodeHeaders(stream: HttpStream): FilterStatus {
    const policy = stream.perFilterConfig<CorsPolicy>(corsFilter.name);
    const origin = stream.headers.origin;
    if (!policy || typeof origin !== 'string' || !origin) return 'continue';
    if (policy.enabled < 1 && !(Math.random() < policy.enabled)) return 'continue';
    const allowed = policy.origins.some((t) => t(origin));
    const preflight =
      stream.info.method === 'OPTIONS' && stream.headers['access-control-request-method'] !== undefined;
    if (preflight) {
      if (!allowed) {
        if (policy.forwardNotMatchingPreflights) return 'continue';
        stream.sendLocalReply(200, '');
        return 'stop';
      }
      const headers: Record<string, string> = {
        'access-control-allow-origin': origin,
        'content-length': '0',
      };
      if (policy.allowCredentials) headers['access-control-allow-credentials'] = 'true';
      if (policy.allowMethods) headers['access-control-allow-methods'] = policy.allowMethods;
      if (policy.allowHeaders) headers['access-control-allow-headers'] = policy.allowHeaders;
      if (policy.maxAge) headers['access-control-max-age'] = policy.maxAge;
      stream.hcm.decorateResponse(stream, headers);
      stream.writeHead(200, headers);
      stream.res.end();
      return 'stop';
    }
    if (!allowed) return 'continue';
    const extra = (stream.extraResponseHeaders ??= []);
    extra.push(['access-control-allow-origin', origin]);
    if (policy.allowCredentials) extra.push(['access-control-allow-credentials', 'true']);
    if (policy.exposeHeaders) extra.push(['access-control-expose-headers', policy.exposeHeaders]);
    return 'continue';
  }
}

export const corsFilter: HttpFilterFactory<null> = {
  name: 'envoy.filters.http.cors',
  typeUrls: [CORS_TYPE, CORS_POLICY_TYPE],
  parse: () => null,
  parsePerRoute: parsePolicy,
  create: () => new CorsFilter(),
};
