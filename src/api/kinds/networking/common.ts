// Field types shared by the networking.istio.io kinds: protocols, string matches, destinations,
// header operations, exportTo, addresses, with the checks Istio applies to them at admission.
import { isIP } from 'node:net';
import {
  DNS1123_LABEL,
  duration,
  exactlyOne,
  fail,
  isRe2,
  labels,
  percent,
  portNumber,
  z,
} from '../../schema/primitives.ts';
import { hostProblem, isIpAddress } from './hosts.ts';

/** Port protocols Istio understands; names are matched without regard to case. */
export const PROTOCOLS = [
  'HTTP',
  'HTTPS',
  'GRPC',
  'GRPC-WEB',
  'HTTP2',
  'HTTP_PROXY',
  'MONGO',
  'REDIS',
  'MYSQL',
  'TCP',
  'TLS',
  'UDP',
] as const;
export type Protocol = (typeof PROTOCOLS)[number];

const HTTP_PROTOCOLS: readonly string[] = ['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-WEB'];
const TLS_PROTOCOLS: readonly string[] = ['HTTPS', 'TLS'];

export function isHttpProtocol(p: string | undefined): boolean {
  return p !== undefined && HTTP_PROTOCOLS.includes(p.toUpperCase());
}

export function isTlsProtocol(p: string | undefined): boolean {
  return p !== undefined && TLS_PROTOCOLS.includes(p.toUpperCase());
}

/** A port protocol, normalised to Istio's upper-case name ("http" → "HTTP"). */
export const protocol = z.string().transform((p, ctx): Protocol => {
  const upper = p.toUpperCase() as Protocol;
  if (!PROTOCOLS.includes(upper)) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown protocol "${p}"`,
      params: { rule: 'invalid-value', hint: `use one of ${PROTOCOLS.join(', ')}` },
    });
    return z.NEVER;
  }
  return upper;
});

/**
 * A duration as Istio takes it: at least 1ms (unless `minMs` says otherwise) and whole
 * milliseconds, normalised to milliseconds.
 */
export function istioDuration(options: { minMs?: number } = {}) {
  return duration(options).superRefine((ms, ctx) => {
    if (!Number.isInteger(ms)) {
      fail(ctx, [], 'durations are accurate to the millisecond: use whole milliseconds', 'invalid-duration');
    }
  });
}

/** Istio's Percent, `{ value }` in 0–100, where a non-zero value must be at least 0.0001. */
export const percentage = percent.superRefine((p, ctx) => {
  if (p.value > 0 && p.value < 0.0001) {
    fail(ctx, ['value'], 'percentage must be 0, or between 0.0001 and 100', 'invalid-value');
  }
});

/** A regular expression Envoy will run: RE2 syntax, at most 1024 characters. */
export function regexProblem(re: string): string | undefined {
  if (re === '') return 'a regex must not be empty';
  if (re.length > 1024) return 'the regex is too long: at most 1024 characters are allowed';
  const problem = isRe2(re);
  return problem === undefined ? undefined : `"${re}" is not a valid RE2 regular expression: ${problem}`;
}

/**
 * Istio's StringMatch: exactly one of exact, prefix or regex. An empty prefix is only meaningful
 * for the URI (it matches every path).
 */
export function stringMatch(options: { emptyPrefix?: boolean; presentRegex?: boolean } = {}) {
  return z
    .strictObject({
      exact: z.string().optional(),
      prefix: z.string().optional(),
      regex: z.string().optional(),
    })
    .superRefine((m, ctx) => {
      exactlyOne(m, ['exact', 'prefix', 'regex'], ctx, 'a string match');
      if (m.prefix === '' && !options.emptyPrefix) {
        fail(ctx, ['prefix'], 'a prefix match must not be empty', 'invalid-value');
      }
      // In withoutHeaders, regex "*" means "the header is present".
      if (m.regex !== undefined && !(options.presentRegex && m.regex === '*')) {
        const problem = regexProblem(m.regex);
        if (problem) fail(ctx, ['regex'], problem, 'invalid-regex', 'Envoy matches with RE2 syntax');
      }
    });
}
export const uriMatch = stringMatch({ emptyPrefix: true });
export const valueMatch = stringMatch();

const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PSEUDO_HEADERS: readonly string[] = [':method', ':scheme', ':authority', ':path', ':status'];
const JWT_CLAIM = /^@request\.auth\.claims(\.|\[)/;

export function isJwtClaimHeader(name: string): boolean {
  return JWT_CLAIM.test(name);
}

/** The name of a header to match: a token, a pseudo-header, or "@request.auth.claims.…". */
export function matchHeaderNameProblem(name: string): string | undefined {
  if (name === '') return 'a header name must not be empty';
  if (JWT_CLAIM.test(name) || PSEUDO_HEADERS.includes(name) || HEADER_TOKEN.test(name)) return undefined;
  return `"${name}" is not a valid HTTP header name`;
}

/**
 * Checks a header value Envoy will format: no control characters, and every "%" either "%%" or
 * the start of a %VARIABLE%.
 */
export function headerValueProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) {
    return 'a header value must not contain control characters or line breaks';
  }
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') continue;
    if (value[i + 1] === '%') {
      i++;
      continue;
    }
    const end = value.indexOf('%', i + 1);
    if (end < 0 || end === i + 1) {
      return `header value "${value}" has a lone "%": write "%%" for a percent sign, or a variable such as "%HOSTNAME%"`;
    }
    i = end;
  }
  return undefined;
}

function headerOperation(request: boolean) {
  const setOrAdd = z.record(z.string(), z.string({ error: 'header values must be strings' }));
  return z
    .strictObject({
      set: setOrAdd.optional(),
      add: setOrAdd.optional(),
      remove: z.array(z.string()).optional(),
    })
    .superRefine((op, ctx) => {
      const checkName = (name: string, path: (string | number)[], removing: boolean) => {
        const isAuthority = /^(:authority|host)$/i.test(name);
        if (name === '') fail(ctx, path, 'a header name must not be empty', 'invalid-header');
        else if (isAuthority && request && !removing) return;
        else if (/^host$/i.test(name)) {
          fail(
            ctx,
            path,
            `the "${name}" header cannot be changed here`,
            'invalid-header',
            'use rewrite.authority',
          );
        } else if (name.startsWith(':')) {
          fail(
            ctx,
            path,
            `header "${name}": pseudo-headers (starting with ":") cannot be changed`,
            'invalid-header',
          );
        }
      };
      for (const field of ['set', 'add'] as const) {
        for (const [name, value] of Object.entries(op[field] ?? {})) {
          checkName(name, [field, name], false);
          const problem = headerValueProblem(value);
          if (problem) fail(ctx, [field, name], problem, 'invalid-header');
        }
      }
      (op.remove ?? []).forEach((name, i) => checkName(name, ['remove', i], true));
    });
}

/** Istio's Headers: changes to request and response headers. */
export const headers = z.strictObject({
  request: headerOperation(true).optional(),
  response: headerOperation(false).optional(),
});

/** The authority a route sets through headers.request (set or add of ":authority"/"host"). */
export function authorityHeaderWrites(h: z.output<typeof headers> | undefined): string[] {
  const out: string[] = [];
  for (const field of ['set', 'add'] as const) {
    for (const name of Object.keys(h?.request?.[field] ?? {})) {
      if (/^(:authority|host)$/i.test(name)) out.push(name);
    }
  }
  return out;
}

export const subsetName = z.string().superRefine((name, ctx) => {
  if (name === '') fail(ctx, [], 'a subset name must not be empty', 'invalid-name');
  else if (name.length > 63 || !DNS1123_LABEL.test(name)) {
    fail(
      ctx,
      [],
      `subset name "${name}" must be at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit`,
      'invalid-name',
    );
  }
});

export const portSelector = z.strictObject({ number: portNumber });

/** Istio's Destination: a service host (never "*"), an optional subset and port. */
export const destination = z.strictObject({
  host: z.string().superRefine((h, ctx) => {
    if (h === '*') {
      fail(ctx, [], 'a destination host cannot be "*"; name the service', 'invalid-host');
      return;
    }
    const problem = hostProblem(h, true);
    if (problem) fail(ctx, [], problem, 'invalid-host');
  }),
  subset: subsetName.optional(),
  port: portSelector.optional(),
});

/** A port name: a DNS label, as Istio requires for ServiceEntry, Sidecar and WorkloadEntry ports. */
export const portName = z.string().superRefine((name, ctx) => {
  if (name.length === 0 || name.length > 63 || !DNS1123_LABEL.test(name)) {
    fail(
      ctx,
      [],
      name === ''
        ? 'a port name must not be empty'
        : `port name "${name}" must be at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit`,
      'invalid-name',
    );
  }
});

/** exportTo: namespaces, "." (own namespace), "*" (all), and for ServiceEntry "~" (none). */
export function exportTo(options: { allowNone?: boolean } = {}) {
  return z.array(z.string()).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e)) fail(ctx, [i], `"${e}" is listed twice in exportTo`, 'duplicate-name');
      seen.add(e);
      const special = e === '.' || e === '*' || (options.allowNone && e === '~');
      if (!special && !(e.length <= 63 && DNS1123_LABEL.test(e))) {
        fail(
          ctx,
          [i],
          `exportTo entry "${e}" must be a namespace name, "." (this namespace) or "*" (every namespace)` +
            (options.allowNone ? ', or "~" (no namespace)' : ''),
          'invalid-value',
        );
      }
    });
    if (list.includes('*') && list.length > 1) {
      fail(
        ctx,
        [list.indexOf('*')],
        'exportTo "*" already means every namespace; list nothing else with it',
        'conflicting-fields',
      );
    }
    if (list.includes('~') && list.length > 1) {
      fail(
        ctx,
        [list.indexOf('~')],
        'exportTo "~" means no namespace; list nothing else with it',
        'conflicting-fields',
      );
    }
  });
}

/** An IP address or CIDR block ("10.0.0.0/8", "2001:db8::/32"). */
export function cidrProblem(s: string): string | undefined {
  const parts = s.split('/');
  if (parts.length > 2) return `"${s}" is not an IP address or CIDR block`;
  const version = isIP(parts[0]!);
  if (version === 0) return `"${s}" is not a valid IP address${parts.length === 2 ? ' or CIDR block' : ''}`;
  if (parts.length === 2) {
    const bits = Number(parts[1]);
    const max = version === 4 ? 32 : 128;
    if (!/^\d+$/.test(parts[1]!) || bits > max)
      return `"${s}" is not a valid CIDR block: the prefix length must be 0 to ${max}`;
  }
  return undefined;
}

export const ipOrCidr = z.string().superRefine((s, ctx) => {
  const problem = cidrProblem(s);
  if (problem) fail(ctx, [], problem, 'invalid-address');
});

export const UNIX_PREFIX = 'unix://';

export const ipAddress = z.string().superRefine((s, ctx) => {
  if (!isIpAddress(s)) fail(ctx, [], `"${s}" is not a valid IP address`, 'invalid-address');
});

/** A Unix domain socket path after "unix://": absolute, or abstract ("@name"). */
export function unixPathProblem(path: string): string | undefined {
  if (path === '') return 'a unix socket path must not be empty';
  if (path.startsWith('@')) return undefined;
  if (!path.startsWith('/') || path.endsWith('/')) return `"${path}" is not an absolute path to a file`;
  return undefined;
}

/** A gateway a route binds to: "mesh", "name", "namespace/name" (or the legacy "name.namespace"). */
export const gatewayName = z.string().superRefine((g, ctx) => {
  const slash = g.indexOf('/');
  if (slash < 0) {
    if (hostProblem(g, false)) {
      fail(ctx, [], `gateway "${g}" must be a Gateway's name, "namespace/name", or "mesh"`, 'invalid-name');
    }
    return;
  }
  const ns = g.slice(0, slash);
  const name = g.slice(slash + 1);
  for (const [part, what] of [
    [ns, 'namespace'],
    [name, 'gateway name'],
  ] as const) {
    if (part.length === 0 || part.length > 63 || !DNS1123_LABEL.test(part)) {
      fail(
        ctx,
        [],
        `gateway "${g}": ${what} "${part}" must be at most 63 lower-case letters, digits or "-"`,
        'invalid-name',
      );
    }
  }
});

/** The `mesh` gateway: routes for sidecars rather than gateway workloads. */
export const MESH_GATEWAY = 'mesh';

/** Istio's networking WorkloadSelector (Sidecar, ServiceEntry): `{ labels }`. */
export const labelSelector = z.strictObject({ labels: labels.optional() });

export type Destination = z.output<typeof destination>;
export type Headers = z.output<typeof headers>;

/**
 * Cross-field checks run even when some fields already failed, so that a file's errors are all
 * reported at once: pass `EVERY_ISSUE` to superRefine and wrap the check in `tolerant`.
 */
export const EVERY_ISSUE = { when: () => true };

/**
 * Fields that failed keep the raw input, so a cross-field check may meet a value of the wrong type
 * and throw; the field's own error already explains it, and the check is skipped.
 */
export function tolerant<T>(check: (value: T, ctx: z.RefinementCtx) => void) {
  return (value: T, ctx: z.RefinementCtx): void => {
    try {
      check(value, ctx);
    } catch {
      // Reported by the field's own schema.
    }
  };
}
