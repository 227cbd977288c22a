// The floor of a reverse proxy built from Node's stock HTTP modules, one of the benchmark's reference
// points: node:http in, undici's Pool out, status, headers and body relayed with the hop-by-hop headers
// removed, and nothing else (no routing, stats, retries, timeouts or access log). Caravel's sidecar
// uses neither: the "caravel codec only" row is its own HTTP/1.1 codec alone, and the node:net relay
// row shows what is left without any HTTP library.
import http from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';

const [listenPort, upstream] = process.argv.slice(2);
if (!listenPort || !upstream) {
  console.error('usage: node-floor.ts LISTEN_PORT UPSTREAM_URL');
  process.exit(2);
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const pool = new Pool(upstream, { connections: 64, headersTimeout: 0, bodyTimeout: 0 });

/** Relays one upstream response to the downstream response, with back-pressure. */
class Relay implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  constructor(res: ServerResponse) {
    this.#res = res;
  }
  onRequestStart(): void {}
  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#res.writeHead(status, endToEnd(headers));
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#res.write(chunk)) return;
    controller.pause();
    this.#res.once('drain', () => controller.resume());
  }
  onResponseEnd(): void {
    this.#res.end();
  }
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#res.headersSent) this.#res.destroy(error);
    else this.#res.writeHead(502).end();
  }
}

const server = http.createServer((req, res) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
  pool.dispatch(
    {
      method: req.method as Dispatcher.HttpMethod,
      path: req.url ?? '/',
      headers: endToEnd(req.headers),
      body: hasBody ? req : null,
    },
    new Relay(res),
  );
});
server.listen(Number(listenPort), '127.0.0.1');
