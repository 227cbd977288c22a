// The echo server of `fortio server`: answers with the request's body, with the status and delay
// the query asks for (?status=503, ?status=503:20,429:10 for percentages, ?delay=250ms), and a
// plain-text dump of the request at /debug.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../api/index.ts';

/** Longest ?delay= honoured. */
export const MAX_ECHO_DELAY_MS = 10_000;

export interface EchoServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Picks the status of ?status=: a code, or "code:percent,…" with the rest of the time 200. */
export function echoStatus(param: string | null, random: () => number = Math.random): number | undefined {
  if (param === null || param === '') return 200;
  let point = random() * 100;
  for (const part of param.split(',')) {
    const [code, pct] = part.split(':');
    const n = Number(code);
    if (!Number.isInteger(n) || n < 100 || n > 599) return undefined;
    if (pct === undefined) return n;
    const p = Number(pct);
    if (!Number.isFinite(p) || p < 0) return undefined;
    point -= p;
    if (point < 0) return n;
  }
  return 200;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://echo');
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const body = Buffer.concat(chunks);
  if (url.pathname === '/debug' || url.pathname.startsWith('/debug/')) {
    const lines = [
      `echo debug server on ${req.socket.localAddress}`,
      '',
      `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      '',
    ];
    lines.push('headers:', '');
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    lines.push('', `body:`, '', body.toString('utf8'));
    const text = `${lines.join('\n')}\n`;
    res.writeHead(200, {
      'content-type': 'text/plain; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  const status = echoStatus(url.searchParams.get('status'));
  if (status === undefined) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid status\n');
    return;
  }
  const delayParam = url.searchParams.get('delay');
  if (delayParam) {
    const ms = parseDuration(delayParam);
    if (ms === undefined) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid delay\n');
      return;
    }
    await sleep(Math.min(ms, MAX_ECHO_DELAY_MS));
  }
  const type = req.headers['content-type'];
  res.writeHead(status, {
    'content-length': body.length,
    ...(type ? { 'content-type': type } : {}),
  });
  res.end(body);
}

export async function startEchoServer(host: string, port: number): Promise<EchoServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
