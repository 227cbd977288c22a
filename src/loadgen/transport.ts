// One client connection of the load generator (a fortio "thread"): HTTP/1.1 with keep-alive over a
// single socket, or one HTTP/2 session. HTTP_PROXY/http_proxy (HTTPS_PROXY for https URLs) and
// NO_PROXY are honoured, so inside a pod the load goes through the pod's sidecar: HTTP/1.1 uses
// Node's own proxy support (absolute-form requests, CONNECT for https), HTTP/2 opens a CONNECT
// tunnel through the proxy.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { RequestSpec } from './options.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Exchange {
  /** The HTTP status, or -1 when no response came (connect error, reset, timeout). */
  readonly status: number;
  readonly statusText: string;
  readonly httpVersion: string;
  readonly headerBytes: number;
  readonly bodyBytes: number;
  /** Response headers as received (names lower-case for HTTP/2). */
  readonly headers: readonly (readonly [string, string])[];
  /** The body, only when asked for. */
  readonly body: Buffer | undefined;
  readonly error: string | undefined;
}

export interface Transport {
  send(keepBody?: boolean): Promise<Exchange>;
  /** Connections opened so far (1 with perfect keep-alive). */
  readonly socketsOpened: number;
  close(): void;
}

export interface TransportOptions {
  readonly env: Env;
  readonly userAgent: string;
}

function failed(error: string): Exchange {
  return {
    status: -1,
    statusText: '',
    httpVersion: '',
    headerBytes: 0,
    bodyBytes: 0,
    headers: [],
    body: undefined,
    error,
  };
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message}` : err.message;
}

/** The proxy URL for a target, following the usual HTTP_PROXY / HTTPS_PROXY / NO_PROXY rules. */
export function proxyFor(target: URL, env: Env): URL | undefined {
  const https = target.protocol === 'https:';
  const raw = https ? env.HTTPS_PROXY || env.https_proxy : env.HTTP_PROXY || env.http_proxy;
  if (!raw) return undefined;
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = target.port || (https ? '443' : '80');
  for (const entry of (env.NO_PROXY || env.no_proxy || '').split(/[\s,]+/)) {
    if (!entry) continue;
    if (entry === '*') return undefined;
    const [name, entryPort] = entry.toLowerCase().split(/:(?=\d+$)/);
    if (entryPort && entryPort !== port) continue;
    const bare = name!.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  return new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
}

function headerObject(spec: RequestSpec, userAgent: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of spec.headers) {
    const key = name.toLowerCase();
    const prev = out[key];
    out[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  if (out['user-agent'] === undefined) out['user-agent'] = userAgent;
  if (spec.body !== undefined) out['content-length'] = String(spec.body.length);
  return out;
}

function http1(spec: RequestSpec, options: TransportOptions): Transport {
  const secure = spec.url.protocol === 'https:';
  const proxyEnv: Record<string, string> = {};
  for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) {
    const value = options.env[name];
    if (value) proxyEnv[name] = value;
  }
  const agentOptions = {
    keepAlive: true,
    maxSockets: 1,
    ...(proxyFor(spec.url, options.env) ? { proxyEnv } : {}),
  };
  const agent = secure
    ? new https.Agent({ ...agentOptions, rejectUnauthorized: !spec.insecure })
    : new http.Agent(agentOptions);
  const headers = headerObject(spec, options.userAgent);
  const seen = new WeakSet<Socket>();
  let sockets = 0;

  return {
    get socketsOpened() {
      return sockets;
    },
    send(keepBody = false) {
      return new Promise<Exchange>((resolve) => {
        const request = secure ? https.request : http.request;
        const req = request(spec.url, { agent, method: spec.method, headers }, (res) => {
          const chunks: Buffer[] = [];
          let bodyBytes = 0;
          res.on('data', (c: Buffer) => {
            bodyBytes += c.length;
            if (keepBody) chunks.push(c);
          });
          res.on('error', (e) => done(failed(describe(e))));
          res.on('end', () => {
            const pairs: [string, string][] = [];
            let headerBytes = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
            for (let i = 0; i < res.rawHeaders.length; i += 2) {
              const name = res.rawHeaders[i]!;
              const value = res.rawHeaders[i + 1]!;
              pairs.push([name, value]);
              headerBytes += name.length + value.length + 4;
            }
            done({
              status: res.statusCode ?? -1,
              statusText: res.statusMessage ?? '',
              httpVersion: res.httpVersion,
              headerBytes,
              bodyBytes,
              headers: pairs,
              body: keepBody ? Buffer.concat(chunks) : undefined,
              error: undefined,
            });
          });
        });
        const timer = setTimeout(
          () => req.destroy(new Error(`timeout after ${spec.timeoutMs}ms`)),
          spec.timeoutMs,
        );
        let finished = false;
        function done(result: Exchange) {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          resolve(result);
        }
        req.on('socket', (socket: Socket) => {
          if (!seen.has(socket)) {
            seen.add(socket);
            sockets++;
          }
        });
        req.on('error', (e) => done(failed(describe(e))));
        req.end(spec.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Opens a TCP tunnel to `target` through an HTTP proxy with CONNECT. */
function tunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const authority = `${target.hostname}:${port}`;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority },
      timeout: timeoutMs,
    });
    req.on('connect', (res, socket, head) => {
      if (res.statusCode === 200) {
        // Bytes the server sent right behind the proxy's answer belong to the tunnelled stream.
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      } else {
        socket.destroy();
        reject(new Error(`proxy answered ${res.statusCode} to CONNECT ${authority}`));
      }
    });
    req.on('timeout', () => req.destroy(new Error(`timeout connecting through proxy ${proxy.host}`)));
    req.on('error', reject);
    req.end();
  });
}

function h2(spec: RequestSpec, options: TransportOptions): Transport {
  const secure = spec.url.protocol === 'https:';
  const proxy = proxyFor(spec.url, options.env);
  const headers = headerObject(spec, options.userAgent);
  const authority = typeof headers.host === 'string' ? headers.host : spec.url.host;
  delete headers.host;
  let session: http2.ClientHttp2Session | undefined;
  let connecting: Promise<http2.ClientHttp2Session> | undefined;
  let sockets = 0;

  async function connect(): Promise<http2.ClientHttp2Session> {
    const tls_ = secure
      ? { rejectUnauthorized: !spec.insecure, ALPNProtocols: ['h2'], servername: spec.url.hostname }
      : {};
    let s: http2.ClientHttp2Session;
    if (proxy) {
      const socket = await tunnel(proxy, spec.url, spec.timeoutMs);
      s = http2.connect(spec.url.origin, {
        createConnection: () => (secure ? tls.connect({ socket, ...tls_ }) : socket),
      });
    } else {
      s = http2.connect(spec.url.origin, tls_);
    }
    sockets++;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout after ${spec.timeoutMs}ms`)), spec.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    }).catch((e: unknown) => {
      s.destroy();
      throw e;
    });
    const forget = () => {
      if (session === s) session = undefined;
    };
    s.on('close', forget);
    s.on('goaway', forget);
    s.on('error', forget);
    return s;
  }

  return {
    get socketsOpened() {
      return sockets;
    },
    async send(keepBody = false) {
      if (!session || session.closed || session.destroyed) {
        connecting ??= connect().finally(() => {
          connecting = undefined;
        });
        try {
          session = await connecting;
        } catch (e) {
          return failed(describe(e));
        }
      }
      const s = session;
      return new Promise<Exchange>((resolve) => {
        let finished = false;
        const done = (result: Exchange) => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          resolve(result);
        };
        const stream = s.request({
          ':method': spec.method,
          ':path': `${spec.url.pathname}${spec.url.search}`,
          ':authority': authority,
          ':scheme': spec.url.protocol.slice(0, -1),
          ...headers,
        });
        const timer = setTimeout(() => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          done(failed(`timeout after ${spec.timeoutMs}ms`));
        }, spec.timeoutMs);
        let status = -1;
        let headerBytes = 0;
        const pairs: [string, string][] = [];
        const chunks: Buffer[] = [];
        let bodyBytes = 0;
        stream.on('response', (h) => {
          status = Number(h[':status']);
          for (const [name, value] of Object.entries(h)) {
            if (name.startsWith(':') || value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [String(value)]) {
              pairs.push([name, v]);
              headerBytes += name.length + v.length + 4;
            }
          }
        });
        stream.on('data', (c: Buffer) => {
          bodyBytes += c.length;
          if (keepBody) chunks.push(c);
        });
        stream.on('end', () =>
          done({
            status,
            statusText: '',
            httpVersion: '2.0',
            headerBytes,
            bodyBytes,
            headers: pairs,
            body: keepBody ? Buffer.concat(chunks) : undefined,
            error: status < 0 ? 'stream ended without a response' : undefined,
          }),
        );
        stream.on('error', (e) => done(failed(describe(e))));
        stream.on('close', () => done(failed(`stream closed (code ${stream.rstCode ?? 0})`)));
        stream.end(spec.body);
      });
    },
    close() {
      session?.close();
      session?.destroy();
    },
  };
}

export function createTransport(spec: RequestSpec, options: TransportOptions): Transport {
  return spec.h2 ? h2(spec, options) : http1(spec, options);
}
