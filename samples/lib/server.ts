// The HTTP server every sample app runs on: listen, log each request, turn a thrown error into a
// 500 instead of a crash, close every connection on stop, and the main wrapper for `node app.ts`.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppEnvError } from './env.ts';
import type { Env } from './env.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface RunningApp {
  readonly name: string;
  readonly host: string;
  /** The bound port (the real one when PORT was 0). */
  readonly port: number;
  /** Base URL, such as http://127.0.0.1:9080. */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly env: Env;
  /** Receives one line per request; the main wrapper prints them, tests leave it out. */
  readonly log?: (line: string) => void;
}

export interface ListenOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly handler: Handler;
  readonly log?: ((line: string) => void) | undefined;
}

export async function listen(options: ListenOptions): Promise<RunningApp> {
  const { name, handler, log } = options;
  const server = createServer((req, res) => {
    const started = performance.now();
    if (log)
      res.on('finish', () =>
        log(`${req.method} ${req.url} ${res.statusCode} ${Math.round(performance.now() - started)}ms`),
      );
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((e: unknown) => {
        log?.(`${req.method} ${req.url} failed: ${(e as Error).message}`);
        if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n');
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    name,
    host: options.host,
    port,
    url: `http://${hostForUrl}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown, indent = 0): void {
  const body = JSON.stringify(value, null, indent) + (indent ? '\n' : '');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Runs an app as a process: starts it with the process environment, prints where it listens and
 * each request, stops cleanly on SIGINT/SIGTERM. A bad variable is one line on stderr and exit 1.
 */
export async function runMain(start: (options: StartOptions) => Promise<RunningApp>): Promise<void> {
  let app: RunningApp;
  try {
    app = await start({ env: process.env, log: (line) => console.log(line) });
  } catch (e) {
    if (e instanceof AppEnvError || (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`error: ${(e as Error).message}`);
      process.exit(1);
    }
    throw e;
  }
  console.log(`${app.name} listening on ${app.url}`);
  const stop = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
