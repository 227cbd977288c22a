// httpbin, the HTTP request and response service of Istio's samples, with its JSON shapes: sorted
// keys, headers in Title-Case, two-space indentation. The endpoints the mesh exercises use:
// /get /headers /ip /user-agent /uuid /status/{codes} /delay/{n} /anything /post /put /patch
// /delete /response-headers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen, readAppEnv, readBody, runMain, sendJson, sendText } from '../../lib/index.ts';
import type { RunningApp, StartOptions } from '../../lib/index.ts';
import { parseStatusCodes, pickStatus } from './status.ts';

/** httpbin caps /delay at 10 seconds. */
export const MAX_DELAY_SECONDS = 10;

// Headers httpbin hides unless the query says show_env: the ones proxies and platforms add.
const ENV_HEADERS = new Set([
  'x-varnish',
  'x-request-start',
  'x-heroku-queue-depth',
  'x-real-ip',
  'x-forwarded-proto',
  'x-forwarded-protocol',
  'x-forwarded-ssl',
  'x-heroku-queue-wait-time',
  'x-forwarded-for',
  'x-heroku-dynos-in-use',
  'x-forwarded-port',
  'x-request-id',
  'via',
  'total-route-time',
  'connect-time',
]);

const REDIRECT_CODES = new Set([301, 302, 303, 305, 307]);

type Json = Record<string, unknown>;

function titleCase(name: string): string {
  return name
    .split('-')
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w))
    .join('-');
}

function sorted(obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface Parsed {
  readonly url: URL;
  readonly showEnv: boolean;
}

function headersOf(req: IncomingMessage, showEnv: boolean): Json {
  const out: Json = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (!showEnv && ENV_HEADERS.has(name)) continue;
    const key = titleCase(name);
    const value = req.rawHeaders[i + 1]!;
    out[key] = out[key] === undefined ? value : `${out[key] as string},${value}`;
  }
  return sorted(out);
}

function argsOf(url: URL): Json {
  const out: Json = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return sorted(out);
}

function originOf(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (typeof forwarded === 'string' && forwarded) return forwarded;
  return req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
}

async function bodyParts(req: IncomingMessage): Promise<Json> {
  const raw = (await readBody(req, 10 << 20)).toString('utf8');
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  let form: Json = {};
  let data = raw;
  if (type === 'application/x-www-form-urlencoded') {
    form = argsOf(new URL(`http://x/?${raw}`));
    data = '';
  }
  let json: unknown = null;
  try {
    json = raw ? JSON.parse(raw) : null;
  } catch {
    json = null;
  }
  return { data, files: {}, form, json };
}

function send(res: ServerResponse, value: Json, status = 200): void {
  sendJson(res, status, sorted(value), 2);
}

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 80);
  const random = Math.random;

  async function requestDict(req: IncomingMessage, p: Parsed, withBody: boolean): Promise<Json> {
    const base: Json = {
      args: argsOf(p.url),
      headers: headersOf(req, p.showEnv),
      origin: originOf(req),
      url: p.url.href,
    };
    return withBody ? { ...base, ...(await bodyParts(req)) } : base;
  }

  return listen({
    name: 'httpbin',
    host: app.host,
    port: app.port,
    log: options.log,
    async handler(req, res) {
      const scheme = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
      const url = new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? 'httpbin'}`);
      const p: Parsed = { url, showEnv: url.searchParams.has('show_env') };
      const path = url.pathname;
      const method = req.method ?? 'GET';
      const only = (allowed: string) => {
        if (method === allowed || (allowed === 'GET' && method === 'HEAD')) return true;
        res.writeHead(405, { allow: allowed, 'content-type': 'text/html' }).end();
        return false;
      };

      if (path === '/') return sendText(res, 200, INDEX_HTML, 'text/html; charset=utf-8');
      if (path === '/get') return only('GET') ? send(res, await requestDict(req, p, false)) : undefined;
      if (path === '/headers') return send(res, { headers: headersOf(req, p.showEnv) });
      if (path === '/ip') return send(res, { origin: originOf(req) });
      if (path === '/user-agent') return send(res, { 'user-agent': req.headers['user-agent'] ?? null });
      if (path === '/uuid') return send(res, { uuid: randomUUID() });
      if (path === '/post' || path === '/put' || path === '/patch' || path === '/delete')
        return only(path.slice(1).toUpperCase()) ? send(res, await requestDict(req, p, true)) : undefined;
      if (path === '/anything' || path.startsWith('/anything/'))
        return send(res, { ...(await requestDict(req, p, true)), method });
      if (path === '/response-headers') {
        const headers = argsOf(url);
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v as string | string[]);
        return send(res, { 'Content-Type': 'application/json', ...headers });
      }
      const status = /^\/status\/([^/]+)$/.exec(path);
      if (status) {
        const codes = parseStatusCodes(decodeURIComponent(status[1]!));
        if (!codes) return sendText(res, 400, 'Invalid status code', 'text/html; charset=utf-8');
        return sendStatus(res, pickStatus(codes, random));
      }
      const delay = /^\/delay\/([^/]+)$/.exec(path);
      if (delay) {
        const seconds = Number(delay[1]);
        if (!Number.isFinite(seconds) || seconds < 0)
          return sendText(res, 400, 'Invalid delay', 'text/html; charset=utf-8');
        const body = await requestDict(req, p, true);
        const aborted = new AbortController();
        res.once('close', () => aborted.abort());
        try {
          await sleep(Math.min(seconds, MAX_DELAY_SECONDS) * 1000, undefined, { signal: aborted.signal });
        } catch {
          return; // the caller went away
        }
        return send(res, body);
      }
      return sendText(res, 404, NOT_FOUND_HTML, 'text/html; charset=utf-8');
    },
  });
}

function sendStatus(res: ServerResponse, code: number): void {
  if (REDIRECT_CODES.has(code)) res.setHeader('location', '/redirect/1');
  if (code === 401) res.setHeader('www-authenticate', 'Basic realm="Fake Realm"');
  if (code === 418) {
    res.setHeader('x-more-info', 'http://tools.ietf.org/html/rfc2324');
    return sendText(res, code, "I'm a teapot\n");
  }
  res.writeHead(code, { 'content-type': 'text/html; charset=utf-8', 'content-length': 0 });
  res.end();
}

const NOT_FOUND_HTML = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server.</p>
`;

const INDEX_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>httpbin</title></head>
<body>
<h1>httpbin</h1>
<p>A simple HTTP request and response service.</p>
<ul>
<li><a href="/get">/get</a> the request's query parameters, headers, origin and URL</li>
<li><a href="/headers">/headers</a> the request's headers</li>
<li><a href="/ip">/ip</a> the caller's address</li>
<li><a href="/user-agent">/user-agent</a> the caller's user agent</li>
<li><a href="/uuid">/uuid</a> a UUID4</li>
<li>/status/:codes a response with the given status, or one picked by weight (200:0.9,503:0.1)</li>
<li>/delay/:n a response after n seconds (at most ${MAX_DELAY_SECONDS})</li>
<li>/anything anything the request carried</li>
<li>/post, /put, /patch, /delete the request's data</li>
<li>/response-headers?key=value a response with the given headers</li>
</ul>
</body>
</html>
`;

if (import.meta.main) await runMain(start);
