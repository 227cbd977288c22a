// The proxy's bootstrap: who it is (node id, cluster, Istio's node metadata), where its control
// plane is, and its local ports (admin, readiness, Prometheus). Read from YAML or JSON, validated
// once; every problem names the file, line and field.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { locate, parseSources } from '../api/load/yaml.ts';
import { parseDuration } from '../api/schema/primitives.ts';
import { BootstrapError } from './errors.ts';

const hostPort = z.string().refine((v) => parseHostPort(v) !== undefined, {
  message: 'must be HOST:PORT with a numeric IP address, such as 127.0.0.1:15000',
});

const durationText = z.string().refine((v) => parseDuration(v) !== undefined, {
  message: 'must be a duration such as "5s" or "500ms"',
});

const schema = z.strictObject({
  node: z.strictObject({
    id: z.string().regex(/^(sidecar|router)~[^~]+~[^~]+~[^~]+$/, {
      message:
        'must be sidecar~<podIP>~<pod>.<namespace>~<namespace>.svc.cluster.local (or router~… for gateways)',
    }),
    cluster: z.string().min(1),
    metadata: z.record(z.string(), z.unknown()).default({}),
    locality: z
      .strictObject({
        region: z.string().optional(),
        zone: z.string().optional(),
        subZone: z.string().optional(),
      })
      .optional(),
  }),
  xds: z.strictObject({
    address: hostPort,
    backoff: z
      .strictObject({ base: durationText.default('500ms'), max: durationText.default('30s') })
      .optional(),
  }),
  admin: z.strictObject({ address: hostPort }),
  readiness: z.strictObject({ address: hostPort }).optional(),
  prometheus: z.strictObject({ address: hostPort }).optional(),
  drainDuration: durationText.optional(),
});

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface Bootstrap {
  readonly node: {
    readonly id: string;
    readonly cluster: string;
    readonly metadata: Readonly<Record<string, unknown>>;
    readonly locality:
      | { readonly region?: string; readonly zone?: string; readonly subZone?: string }
      | undefined;
  };
  readonly xds: { readonly address: HostPort; readonly backoffBaseMs: number; readonly backoffMaxMs: number };
  readonly admin: HostPort;
  readonly readiness: HostPort | undefined;
  readonly prometheus: HostPort | undefined;
  readonly drainMs: number;
}

export function parseHostPort(text: string): HostPort | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  if (!m || !isIP(m[1]!)) return undefined;
  const port = Number(m[2]);
  return port <= 65535 ? { host: m[1]!, port } : undefined;
}

function isLoopback(host: string): boolean {
  return host === '::1' || /^127\./.test(host);
}

/** Validates a bootstrap object; `file` and `positions` only improve error messages. */
export function bootstrapFrom(
  value: unknown,
  file = '<bootstrap>',
  where?: (path: (string | number)[]) => number | undefined,
): Bootstrap {
  const result = schema.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const line = where?.(i.path as (string | number)[]);
      return `${file}${line ? `:${line}` : ''}: ${i.path.join('.') || '(root)'}: ${i.message}`;
    });
    throw new BootstrapError(`invalid bootstrap:\n  ${lines.join('\n  ')}`, {
      hint: 'see "caravel proxy --help" for the bootstrap format',
    });
  }
  const b = result.data;
  const admin = parseHostPort(b.admin.address)!;
  if (!isLoopback(admin.host)) {
    const line = where?.(['admin', 'address']);
    throw new BootstrapError(
      `${file}${line ? `:${line}` : ''}: admin.address: ${admin.host} is not a loopback address`,
      {
        hint: 'the admin API must only be reachable from inside the pod: use a 127.x.y.z address',
      },
    );
  }
  return Object.freeze({
    node: Object.freeze({
      id: b.node.id,
      cluster: b.node.cluster,
      metadata: Object.freeze(b.node.metadata),
      locality: b.node.locality,
    }),
    xds: Object.freeze({
      address: parseHostPort(b.xds.address)!,
      backoffBaseMs: parseDuration(b.xds.backoff?.base ?? '500ms')!,
      backoffMaxMs: parseDuration(b.xds.backoff?.max ?? '30s')!,
    }),
    admin,
    readiness: b.readiness ? parseHostPort(b.readiness.address) : undefined,
    prometheus: b.prometheus ? parseHostPort(b.prometheus.address) : undefined,
    drainMs: b.drainDuration ? parseDuration(b.drainDuration)! : 5000,
  });
}

/** Reads a bootstrap file (YAML or JSON). */
export function loadBootstrap(file: string): Bootstrap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BootstrapError(`cannot read bootstrap ${file}: ${(e as Error).message}`, { cause: e });
  }
  const parsed = parseSources([{ file, text }]);
  const first = parsed.issues[0];
  if (first) throw new BootstrapError(`${file}:${first.line ?? 1}: ${first.message}`);
  const doc = parsed.documents[0];
  if (!doc || parsed.documents.length > 1)
    throw new BootstrapError(`${file}: a bootstrap holds exactly one document`);
  return bootstrapFrom(doc.value, file, (path) => locate(doc, path)?.line);
}
