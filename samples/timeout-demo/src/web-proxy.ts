// The front end of the timeout and retry exercises (the seeds' nginx): passes every request on to
// UPSTREAM_URL (http://tomcat-svc:8080 by default) and answers with the upstream's status, headers
// and body. Like nginx, it answers 504 when the upstream does not answer within
// UPSTREAM_TIMEOUT_MS (60 s by default) and 502 when it cannot be reached.
import type { IncomingHttpHeaders } from 'node:http';
import {
  createClient,
  intFromEnv,
  listen,
  readAppEnv,
  readBody,
  runMain,
  sendText,
  UpstreamError,
} from '../../lib/index.ts';
import type { RunningApp, StartOptions } from '../../lib/index.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'content-length',
]);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 80);
  const upstream = new URL(app.env.UPSTREAM_URL || 'http://tomcat-svc:8080');
  const timeoutMs = intFromEnv(app.env, 'UPSTREAM_TIMEOUT_MS', 60_000);
  const client = createClient(app.env);

  const running = await listen({
    name: 'web-proxy',
    host: app.host,
    port: app.port,
    log: options.log,
    async handler(req, res) {
      const body = await readBody(req, 10 << 20);
      const target = new URL(req.url ?? '/', upstream);
      try {
        const up = await client.request(target.href, {
          method: req.method ?? 'GET',
          headers: endToEnd(req.headers),
          ...(body.length > 0 ? { body } : {}),
          timeoutMs,
        });
        const headers = endToEnd(up.headers);
        res.writeHead(up.status, { ...headers, 'content-length': up.body.length });
        res.end(up.body);
      } catch (e) {
        if (!(e instanceof UpstreamError)) throw e;
        options.log?.(`upstream ${target.href} failed: ${e.message}`);
        if (e.failure === 'timeout') return sendText(res, 504, '504 Gateway Time-out\n');
        return sendText(res, 502, '502 Bad Gateway\n');
      }
    },
  });
  return {
    ...running,
    close: async () => {
      client.close();
      await running.close();
    },
  };
}

if (import.meta.main) await runMain(start);
