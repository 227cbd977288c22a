// The HTTP client sample apps call other services with. URLs name services as in Kubernetes
// (http://reviews:9080/reviews/0). With HTTP_PROXY/http_proxy set — a sidecar's outbound listener —
// requests go to the proxy in absolute form and NO_PROXY is honoured (Node's own proxy support in
// http.Agent). Without a proxy, a service name is looked up in Kubernetes-style variables
// (<NAME>_SERVICE_HOST / <NAME>_SERVICE_PORT) before falling back to the name itself.
import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Env } from './env.ts';

export interface ClientResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: Buffer | string;
  /** Whole-exchange limit: connect, send, and read the full response. */
  readonly timeoutMs?: number;
}

export type UpstreamFailure = 'timeout' | 'connect' | 'reset';

/** A call that got no response: it timed out, could not connect, or the connection broke. */
export class UpstreamError extends Error {
  readonly failure: UpstreamFailure;
  constructor(failure: UpstreamFailure, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'UpstreamError';
    this.failure = failure;
  }
}

export interface HttpClient {
  request(url: string, options?: RequestOptions): Promise<ClientResponse>;
  close(): void;
}

const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] as const;

export function createClient(env: Env): HttpClient {
  const proxyEnv: Record<string, string> = {};
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value) proxyEnv[name] = value;
  }
  const proxied = Boolean(proxyEnv.HTTP_PROXY || proxyEnv.http_proxy);
  const agent = new Agent({ keepAlive: true, ...(proxied ? { proxyEnv } : {}) });

  function target(url: string): URL {
    const u = new URL(url);
    if (u.protocol !== 'http:') throw new Error(`only http:// URLs are supported, got ${url}`);
    if (proxied) return u;
    const key = u.hostname.toUpperCase().replaceAll('-', '_').replaceAll('.', '_');
    const host = env[`${key}_SERVICE_HOST`];
    const port = env[`${key}_SERVICE_PORT`];
    if (host) {
      const direct = new URL(u);
      direct.hostname = host;
      if (port) direct.port = port;
      return direct;
    }
    return u;
  }

  return {
    request(url, options = {}) {
      const original = new URL(url);
      const u = target(url);
      return new Promise<ClientResponse>((resolve, reject) => {
        const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
        const req = request(
          u,
          {
            agent,
            method: options.method ?? 'GET',
            // The Host header keeps the service name even when the address was resolved here.
            headers: { host: original.host, ...options.headers },
            ...(signal ? { signal } : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (e) => reject(failure(e, url, signal)));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
            );
          },
        );
        req.on('error', (e) => reject(failure(e, url, signal)));
        req.end(options.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function failure(e: Error, url: string, signal: AbortSignal | undefined): UpstreamError {
  if (signal?.aborted) return new UpstreamError('timeout', `${url}: timed out`, { cause: e });
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH')
    return new UpstreamError('connect', `${url}: ${e.message}`, { cause: e });
  return new UpstreamError('reset', `${url}: ${e.message}`, { cause: e });
}
