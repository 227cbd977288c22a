// The systems the proxy benchmark compares: a direct connection, nginx, HAProxy, @fastify/http-proxy,
// a bare proxy on Node's stock HTTP modules (node:http + undici: their floor) and a raw node:net relay
// (the ceiling of any proxy in Node here), each as one hop (throughput) and as two hops (client +
// server side).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, start, waitForPort } from './processes.ts';
import type { Proc } from './processes.ts';

export interface Deployment {
  /** URL the load generator requests. */
  readonly url: string;
  /** HTTP proxy (host:port) the load generator sends through, when the system is used that way. */
  readonly httpProxy?: string;
  /** The proxy processes whose CPU and memory are measured (none for direct). */
  readonly proxies: readonly Proc[];
}

export interface Target {
  readonly name: string;
  /** One proxy in front of the upstream. */
  single(upstreamPort: number): Promise<Deployment>;
  /** Two proxies in a row, as a client-side and a server-side sidecar. */
  chain(upstreamPort: number): Promise<Deployment>;
}

const workDir = mkdtempSync(join(tmpdir(), 'caravel-bench-'));
const BODY = 'x'.repeat(1024);

function nginxConfig(name: string, port: number, server: string): string {
  const dir = join(workDir, name);
  return `worker_processes 1;
daemon off;
pid ${dir}.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${workDir};
  proxy_temp_path ${workDir};
  fastcgi_temp_path ${workDir};
  uwsgi_temp_path ${workDir};
  scgi_temp_path ${workDir};
  keepalive_requests 1000000;
  ${server.replaceAll('PORT', String(port))}
}
`;
}

async function startNginx(name: string, server: string): Promise<{ port: number; proc: Proc }> {
  const port = await freePort();
  const file = join(workDir, `${name}.conf`);
  writeFileSync(file, nginxConfig(name, port, server));
  const proc = start(name, '/usr/sbin/nginx', ['-c', file, '-p', workDir, '-e', 'stderr']);
  await waitForPort(port);
  return { port, proc };
}

/** The upstream every system forwards to: nginx answering 1 KiB bodies. */
export async function startUpstream(): Promise<{ port: number; proc: Proc }> {
  return startNginx(
    'upstream',
    `server { listen 127.0.0.1:PORT; location / { default_type text/plain; return 200 "${BODY}"; } }`,
  );
}

const nginxProxy = (upstream: number) =>
  startNginx(
    `nginx-${upstream}`,
    `upstream up { server 127.0.0.1:${upstream}; keepalive 64; }
  server { listen 127.0.0.1:PORT; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
  );

async function haproxy(upstream: number): Promise<{ port: number; proc: Proc }> {
  const port = await freePort();
  const file = join(workDir, `haproxy-${upstream}.cfg`);
  writeFileSync(
    file,
    `global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend f
  bind 127.0.0.1:${port}
  default_backend b
backend b
  server s1 127.0.0.1:${upstream}
`,
  );
  const proc = start(`haproxy-${upstream}`, '/usr/sbin/haproxy', ['-f', file, '-db']);
  await waitForPort(port);
  return { port, proc };
}

/**
 * Node runs the reference scripts by stripping their types, and the stripper (a WebAssembly module)
 * stays in memory: about 17 MiB. Caravel's command keeps the stripped code in Node's compile cache and
 * so never loads it after its first run; the reference rows get the same cache, filled before they
 * are measured, so that no row carries the stripper.
 */
const compileCache = { NODE_COMPILE_CACHE: join(workDir, 'node-compile-cache') };

/**
 * A reverse proxy written in Node, run from a script beside this one as `SCRIPT LISTEN_PORT UPSTREAM_URL`,
 * with `nodeFlags` before it.
 */
function nodeProxy(script: string, nodeFlags: readonly string[] = []) {
  const path = new URL(`./${script}`, import.meta.url).pathname;
  let cached = false;
  return async (upstream: number): Promise<{ port: number; proc: Proc }> => {
    if (!cached) {
      // Without arguments the script loads, prints its usage and exits, which fills the cache (with
      // the same V8 flags: code cached under other flags is not used).
      spawnSync(process.execPath, [...nodeFlags, path], {
        env: { ...process.env, ...compileCache },
        stdio: 'ignore',
      });
      cached = true;
    }
    const port = await freePort();
    const proc = start(
      `${script}-${upstream}`,
      process.execPath,
      [...nodeFlags, path, String(port), `http://127.0.0.1:${upstream}`],
      compileCache,
    );
    await waitForPort(port);
    return { port, proc };
  };
}

function twoHops(name: string, hop: (upstream: number) => Promise<{ port: number; proc: Proc }>): Target {
  return {
    name,
    async single(upstream) {
      const a = await hop(upstream);
      return { url: `http://127.0.0.1:${a.port}/`, proxies: [a.proc] };
    },
    async chain(upstream) {
      const server = await hop(upstream);
      const client = await hop(server.port);
      return { url: `http://127.0.0.1:${client.port}/`, proxies: [client.proc, server.proc] };
    },
  };
}

export const direct: Target = {
  name: 'direct',
  single: async (upstream) => ({ url: `http://127.0.0.1:${upstream}/`, proxies: [] }),
  chain: async (upstream) => ({ url: `http://127.0.0.1:${upstream}/`, proxies: [] }),
};

export const referenceTargets: readonly Target[] = [
  direct,
  twoHops('nginx', nginxProxy),
  twoHops('haproxy', haproxy),
  twoHops('@fastify/http-proxy', nodeProxy('fastify-proxy.ts')),
  twoHops('node:http + undici (floor)', nodeProxy('node-floor.ts')),
  twoHops('node:net relay (ceiling)', nodeProxy('node-relay.ts')),
  // With the V8 flags `caravel proxy` runs with (bin/caravel.mjs), to compare with the sidecar's row.
  twoHops(
    'caravel codec only',
    nodeProxy('codec-only.ts', ['--max-semi-space-size=4', '--no-allocation-site-pretenuring']),
  ),
];
