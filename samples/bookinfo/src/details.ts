// Bookinfo's details service: the book's type, pages, publisher, language and ISBNs.
import { listen, readAppEnv, runMain, sendJson } from '../../lib/index.ts';
import type { RunningApp, StartOptions } from '../../lib/index.ts';

const DETAILS_PATH = /^\/details\/([^/?]*)$/;

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 9080);
  return listen({
    name: 'details',
    host: app.host,
    port: app.port,
    log: options.log,
    handler(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/health') return sendJson(res, 200, { status: 'Details is healthy' });
      const m = DETAILS_PATH.exec(path);
      if (!m) return sendJson(res, 404, { error: 'not found' });
      if (!/^-?\d+$/.test(m[1]!)) return sendJson(res, 400, { error: 'please provide numeric product id' });
      return sendJson(res, 200, {
        id: Number(m[1]),
        author: 'William Shakespeare',
        year: 1595,
        type: 'paperback',
        pages: 200,
        publisher: 'PublisherA',
        language: 'English',
        'ISBN-10': '1234567890',
        'ISBN-13': '123-1234567890',
      });
    },
  });
}

if (import.meta.main) await runMain(start);
