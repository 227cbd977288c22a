// The proxy's bootstrap: who it is (node id, cluster, Istio's node metadata), where its control
// plane is, and its local ports (admin, readiness, Prometheus). Read from YAML or JSON, validated
// once; every problem names the file, line and field.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDuration } from '../api/schema/duration.ts';
import { BootstrapError } from './errors.ts';
import type { ApiType } from './xds/index.ts';

// Checked by hand rather than with the zod schemas the API kinds use: the proxy runs in every pod,
// and zod with its schemas costs it about 15 MB of memory for these dozen fields.

type Path = readonly (string | number)[];
type Fields = Record<string, unknown>;

const NODE_ID = /^(sidecar|router)~[^~]+~[^~]+~[^~]+$/;
/** Envoy's ADS protocols: state of the world, and incremental (Istio's default since 1.22). */
const API_TYPES: readonly ApiType[] = ['GRPC', 'DELTA_GRPC'];

/** Collects every problem in one pass, each with the path of its field. */
class Checker {
  readonly issues: { path: Path; message: string }[] = [];

  problem(path: Path, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  /** A mapping with only the `known` keys (each other key is a problem; 'any' takes every key). */
  object(value: unknown, path: Path, known: readonly string[] | 'any', required = true): Fields | undefined {
    if (value === undefined) return required ? this.problem(path, 'is required') : undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.problem(path, 'must be a mapping');
    if (known !== 'any')
      for (const key of Object.keys(value))
        if (!known.includes(key)) this.problem([...path, key], `unknown field (known: ${known.join(', ')})`);
    return value as Fields;
  }

  string(value: unknown, path: Path, required = true): string | undefined {
    if (value === undefined) return required ? this.problem(path, 'is required') : undefined;
    if (typeof value !== 'string') return this.problem(path, `must be a string, not ${describe(value)}`);
    return value;
  }

  hostPort(fields: Fields | undefined, path: Path): HostPort | undefined {
    const text = this.string(fields?.address, [...path, 'address'], fields !== undefined);
    if (text === undefined) return undefined;
    return (
      parseHostPort(text) ??
      this.problem(
        [...path, 'address'],
        'must be HOST:PORT with a numeric IP address, such as 127.0.0.1:15000',
      )
    );
  }

  /** Milliseconds of a duration field, or `fallback` when it is absent. */
  duration(value: unknown, path: Path, fallback: number): number | undefined {
    const text = this.string(value, path, false);
    if (text === undefined) return fallback;
    return parseDuration(text) ?? this.problem(path, 'must be a duration such as "5s" or "500ms"');
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

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
  readonly xds: {
    readonly address: HostPort;
    readonly apiType: ApiType;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
  };
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
  const at = (path: Path) => {
    const line = where?.([...path]);
    return `${file}${line ? `:${line}` : ''}`;
  };
  const c = new Checker();
  const root = c.object(value, [], ['node', 'xds', 'admin', 'readiness', 'prometheus', 'drainDuration']);
  const node = c.object(root?.node, ['node'], ['id', 'cluster', 'metadata', 'locality'], root !== undefined);
  const id = c.string(node?.id, ['node', 'id'], node !== undefined);
  if (id !== undefined && !NODE_ID.test(id))
    c.problem(
      ['node', 'id'],
      'must be sidecar~<podIP>~<pod>.<namespace>~<namespace>.svc.cluster.local (or router~… for gateways)',
    );
  const cluster = c.string(node?.cluster, ['node', 'cluster'], node !== undefined);
  if (cluster === '') c.problem(['node', 'cluster'], 'must not be empty');
  const metadata = c.object(node?.metadata, ['node', 'metadata'], 'any', false);
  const localityFields = c.object(node?.locality, ['node', 'locality'], ['region', 'zone', 'subZone'], false);
  const locality = localityFields && {
    region: c.string(localityFields.region, ['node', 'locality', 'region'], false),
    zone: c.string(localityFields.zone, ['node', 'locality', 'zone'], false),
    subZone: c.string(localityFields.subZone, ['node', 'locality', 'subZone'], false),
  };
  const xdsFields = c.object(root?.xds, ['xds'], ['address', 'apiType', 'backoff'], root !== undefined);
  const xds = c.hostPort(xdsFields, ['xds']);
  const apiTypeText = c.string(xdsFields?.apiType, ['xds', 'apiType'], false) ?? 'DELTA_GRPC';
  const apiType = API_TYPES.find((t) => t === apiTypeText);
  if (!apiType) c.problem(['xds', 'apiType'], `must be ${API_TYPES.join(' or ')}, not "${apiTypeText}"`);
  const backoff = c.object(xdsFields?.backoff, ['xds', 'backoff'], ['base', 'max'], false);
  const backoffBaseMs = c.duration(backoff?.base, ['xds', 'backoff', 'base'], 500);
  const backoffMaxMs = c.duration(backoff?.max, ['xds', 'backoff', 'max'], 30_000);
  const admin = c.hostPort(c.object(root?.admin, ['admin'], ['address'], root !== undefined), ['admin']);
  const readiness = c.hostPort(c.object(root?.readiness, ['readiness'], ['address'], false), ['readiness']);
  const prometheus = c.hostPort(c.object(root?.prometheus, ['prometheus'], ['address'], false), [
    'prometheus',
  ]);
  const drainMs = c.duration(root?.drainDuration, ['drainDuration'], 5000);
  if (
    c.issues.length > 0 ||
    !id ||
    !cluster ||
    !xds ||
    !admin ||
    !apiType ||
    backoffBaseMs === undefined ||
    backoffMaxMs === undefined ||
    drainMs === undefined
  )
    throw new BootstrapError(
      `invalid bootstrap:\n  ${c.issues.map((i) => `${at(i.path)}: ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ')}`,
      { hint: 'see "caravel proxy --help" for the bootstrap format' },
    );
  if (!isLoopback(admin.host)) {
    throw new BootstrapError(
      `${at(['admin', 'address'])}: admin.address: ${admin.host} is not a loopback address`,
      {
        hint: 'the admin API must only be reachable from inside the pod: use a 127.x.y.z address',
      },
    );
  }
  return Object.freeze({
    node: Object.freeze({
      id,
      cluster,
      metadata: Object.freeze({ ...metadata }),
      locality: locality && Object.freeze(locality),
    }),
    xds: Object.freeze({ address: xds, apiType, backoffBaseMs, backoffMaxMs }),
    admin,
    readiness,
    prometheus,
    drainMs,
  });
}

/**
 * Reads a bootstrap file (YAML or JSON). The mesh writes JSON, which is read without the YAML
 * parser; that parser, and the positions it keeps, are loaded only for YAML or to locate an error.
 */
export async function loadBootstrap(file: string): Promise<Bootstrap> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BootstrapError(`cannot read bootstrap ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return bootstrapFrom(JSON.parse(text), file);
  } catch {
    // not JSON, or not valid: the YAML reader below says where
  }
  const { locate, parseSources } = await import('../api/load/yaml.ts');
  const parsed = parseSources([{ file, text }]);
  const first = parsed.issues[0];
  if (first) throw new BootstrapError(`${file}:${first.line ?? 1}: ${first.message}`);
  const doc = parsed.documents[0];
  if (!doc || parsed.documents.length > 1)
    throw new BootstrapError(`${file}: a bootstrap holds exactly one document`);
  return bootstrapFrom(doc.value, file, (path) => locate(doc, path)?.line);
}
