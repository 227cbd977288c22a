// The request body on its way upstream, kept (up to the buffer limit) so that a retry or a mirror can
// send it again; and request mirroring: fire-and-forget copies to shadow clusters, with the
// authority suffixed "-shadow", whose answers are read and dropped.
import type { MirrorPolicy } from '../router/route-config.ts';
import { admitRequest } from '../upstream/admission.ts';
import type { HttpStream } from './stream.ts';
import { UpstreamAttempt } from './upstream-request.ts';
import type { ForwardTarget } from './forward.ts';

/** A downstream request body: either codec's request. */
interface BodySource {
  readonly readableEnded: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export class RequestBody {
  readonly #req: BodySource;
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #sink: NodeJS.WritableStream | undefined;
  #waiters: (() => void)[] = [];
  overflowed = false;
  ended = false;

  constructor(req: BodySource, hasBody: boolean, limit: number) {
    this.#req = req;
    this.#limit = limit;
    // A request without a body is left alone: the server discards its (empty) stream.
    this.ended = !hasBody || req.readableEnded;
    if (this.ended) return;
    req.on('data', (chunk: Buffer) => {
      if (!this.overflowed) {
        this.#size += chunk.length;
        if (this.#size > this.#limit) {
          // Too large to replay: later retries and mirrors are off, the first attempt streams on.
          this.overflowed = true;
          this.#chunks = [];
        } else this.#chunks.push(chunk);
      }
      const sink = this.#sink;
      if (sink && !sink.write(chunk)) {
        req.pause();
        sink.once('drain', () => req.resume());
      }
    });
    req.once('end', () => {
      this.ended = true;
      this.#sink?.end();
      for (const w of this.#waiters) w();
      this.#waiters = [];
    });
  }

  /** Sends what was kept to a new attempt, then streams the rest into it. */
  attach(sink: NodeJS.WritableStream | undefined): void {
    this.#sink = sink;
    if (!sink) return;
    for (const c of this.#chunks) sink.write(c);
    if (this.ended) sink.end();
    else this.#req.resume();
  }

  /** No attempt is reading: hold the downstream until the next one. */
  detach(): void {
    this.#sink = undefined;
    if (!this.ended) this.#req.pause();
  }

  /** The whole body once received, or undefined when it was too large to keep. */
  complete(): Promise<Buffer | undefined> {
    const value = () => (this.overflowed ? undefined : Buffer.concat(this.#chunks));
    if (this.ended) return Promise.resolve(value());
    return new Promise((resolve) => this.#waiters.push(() => resolve(value())));
  }
}

/** Envoy's shadow authority: "-shadow" after the host name, before any port. */
export function shadowAuthority(authority: string): string {
  const m = /^(.*?)(:\d+)?$/.exec(authority)!;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}

/** Copies the request to each mirror policy's cluster (as sampled), once its body is complete. */
export function sendMirrors(
  stream: HttpStream,
  policies: readonly MirrorPolicy[],
  target: ForwardTarget,
  headers: Record<string, string | string[] | undefined>,
  body: RequestBody,
): void {
  const chosen = policies.filter((p) => Math.random() < p.fraction);
  if (chosen.length === 0) return;
  const copy = { ...headers };
  const method = stream.info.method;
  void body.complete().then((data) => {
    if (data === undefined) return;
    for (const p of chosen) {
      const cluster = stream.hcm.env.clusters.get(p.cluster);
      const host = cluster?.chooseHost(undefined);
      if (!cluster || !host) continue;
      const pool = cluster.pool(host);
      const admission = admitRequest(cluster, pool);
      if (!admission) continue;
      cluster.stats.upstream_rq_total.inc();
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        admission.release();
        cluster.stats.upstream_rq_completed.inc();
      };
      const shadow = new UpstreamAttempt(
        pool,
        host,
        {
          method,
          path: target.path,
          authority: shadowAuthority(target.authority),
          headers: { ...copy },
          hasBody: data.length > 0,
        },
        {
          onConnected: () => admission.ready(),
          onResponse: (r) => {
            cluster.stats.code(r.status);
            r.read(
              () => true,
              () => {
                shadow.finished();
                release();
              },
            );
          },
          onReset: release,
          onBodyError: release,
        },
      );
      if (data.length) shadow.sink?.end(data);
    }
  });
}
