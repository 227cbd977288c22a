// The image catalogue: well-known sample images (Istio's Bookinfo, httpbin, fortio, the seeds'
// canary and timeout demos, Istio's gateway image) mapped to what runs in their place locally.
// Entries are data: an image pattern, what to launch, extra env, and how the image's own commands
// (for `caravel exec`) map to Caravel's. Any registry and tag match unless an entry names a tag.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SampleMissingError } from './errors.ts';

export type Launch =
  /**
   * A Caravel sample program (path relative to the Caravel folder), run with Node; `args` stand
   * for the image's default command when the container names none.
   */
  | { readonly kind: 'sample'; readonly program: string; readonly args?: readonly string[] }
  /** The mesh's proxy itself is the container (gateways); its command comes from the caller. */
  | { readonly kind: 'proxy' }
  /** The container's own command and args run on the host (utility images); `defaultArgv` if none. */
  | { readonly kind: 'container-command'; readonly defaultArgv: readonly string[] };

/** An image command as `caravel exec` receives it, and what runs instead; argv[0] compares by basename. */
export interface ExecRewrite {
  readonly from: readonly string[];
  /** "caravel" as the first word means this Caravel's own command line. */
  readonly to: readonly string[];
}

export interface CatalogueEntry {
  /** The image as people write it, for messages. */
  readonly image: string;
  /** Matched against the repository path without registry ("istio/examples-bookinfo-reviews-v1"). */
  readonly repository: RegExp;
  readonly tag?: RegExp;
  readonly launch: Launch;
  /** Extra app env; `$1`… stand for the repository pattern's groups, `$tag` for the tag. */
  readonly env?: Readonly<Record<string, string>>;
  readonly exec?: readonly ExecRewrite[];
}

const bookinfo = (service: string, program: string, env?: Record<string, string>): CatalogueEntry => ({
  image: `istio/examples-bookinfo-${service}-v*`,
  repository: new RegExp(`^istio/examples-bookinfo-${service}-(v\\d+)$`),
  launch: { kind: 'sample', program },
  ...(env ? { env } : {}),
});

export const CATALOGUE: readonly CatalogueEntry[] = [
  bookinfo('productpage', 'samples/bookinfo/src/productpage/productpage.ts'),
  bookinfo('details', 'samples/bookinfo/src/details.ts'),
  bookinfo('ratings', 'samples/bookinfo/src/ratings.ts', { SERVICE_VERSION: '$1' }),
  bookinfo('reviews', 'samples/bookinfo/src/reviews.ts', { SERVICE_VERSION: '$1' }),
  {
    image: 'kennethreitz/httpbin',
    repository: /^(kennethreitz\/httpbin|mccutchen\/go-httpbin)$/,
    launch: { kind: 'sample', program: 'samples/httpbin/src/httpbin.ts' },
  },
  {
    // The image's default command is `fortio server`; the exercises use the pod as a client,
    // through `exec … fortio load` and `exec … fortio curl`.
    image: 'fortio/fortio',
    repository: /^fortio\/fortio$/,
    launch: { kind: 'sample', program: 'samples/fortio/src/fortio.ts', args: ['server'] },
    exec: [
      { from: ['fortio', 'load'], to: ['caravel', 'load'] },
      { from: ['fortio', 'curl'], to: ['caravel', 'load', 'curl'] },
    ],
  },
  {
    image: 'xianchao/canary:v1|v2',
    repository: /^xianchao\/canary$/,
    tag: /^v\d+$/,
    launch: { kind: 'sample', program: 'samples/canary/src/canary.ts' },
    env: { SERVICE_VERSION: '$tag' },
  },
  {
    image: 'nginx:1.14-alpine',
    repository: /^library\/nginx$/,
    tag: /^1\.14-alpine$/,
    launch: { kind: 'sample', program: 'samples/timeout-demo/src/web-proxy.ts' },
  },
  {
    image: 'kubeguide/tomcat-app:v1',
    repository: /^kubeguide\/tomcat-app$/,
    tag: /^v1$/,
    launch: { kind: 'sample', program: 'samples/timeout-demo/src/backend.ts' },
  },
  { image: 'istio/proxyv2', repository: /^istio\/proxyv2$/, launch: { kind: 'proxy' } },
  {
    image: 'curlimages/curl',
    repository: /^(curlimages\/curl|library\/busybox|library\/alpine)$/,
    launch: { kind: 'container-command', defaultArgv: ['sleep', 'infinity'] },
  },
];

export interface ImageRef {
  readonly registry: string;
  /** Path without registry; single names get Docker Hub's "library/". */
  readonly repository: string;
  readonly tag: string;
}

/** Splits an image reference the way Docker does: registry, repository, tag (digest dropped). */
export function parseImage(image: string): ImageRef {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const tag = colon > slash ? noDigest.slice(colon + 1) : 'latest';
  const name = colon > slash ? noDigest.slice(0, colon) : noDigest;
  const parts = name.split('/');
  const first = parts[0]!;
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  const rest = hasRegistry ? parts.slice(1) : parts;
  const repository = rest.length === 1 ? `library/${rest[0]}` : rest.join('/');
  return { registry, repository, tag };
}

export interface CatalogueMatch {
  readonly entry: CatalogueEntry;
  readonly image: ImageRef;
  readonly env: Readonly<Record<string, string>>;
}

export function lookupImage(
  image: string,
  catalogue: readonly CatalogueEntry[] = CATALOGUE,
): CatalogueMatch | undefined {
  const ref = parseImage(image);
  for (const entry of catalogue) {
    const m = entry.repository.exec(ref.repository);
    if (!m || (entry.tag && !entry.tag.test(ref.tag))) continue;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(entry.env ?? {}))
      env[k] = v.replace(/\$(tag|\d)/g, (_, g: string) => (g === 'tag' ? ref.tag : (m[Number(g)] ?? '')));
    return { entry, image: ref, env };
  }
  return undefined;
}

/** The folder Caravel runs from: sample paths are relative to it. */
export const CARAVEL_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** The argv that runs a sample; throws SampleMissingError when the program is not on disk. */
export function sampleArgv(image: string, program: string, root: string = CARAVEL_ROOT): string[] {
  const path = join(root, program);
  if (!existsSync(path)) throw new SampleMissingError(image, path);
  return [process.execPath, path];
}

/** Rewrites an image command for `exec`; undefined when the entry has no rewrite for it. */
export function rewriteExec(entry: CatalogueEntry, argv: readonly string[]): string[] | undefined {
  for (const r of entry.exec ?? []) {
    const [head, ...more] = r.from;
    if (argv.length < r.from.length || basename(argv[0]!) !== head) continue;
    if (more.every((w, i) => argv[i + 1] === w)) return [...r.to, ...argv.slice(r.from.length)];
  }
  return undefined;
}
