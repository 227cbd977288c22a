// Bookinfo's productpage: the book page (details and reviews from the other services), sign-in
// that makes calls carry `end-user`, and the JSON API. Calls details and ratings once with a 3 s
// timeout, and reviews up to twice with a 3 s timeout each, as Istio's productpage does.
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createClient,
  forwardHeaders,
  listen,
  readAppEnv,
  readBody,
  runMain,
  sendJson,
  sendText,
} from '../../../lib/index.ts';
import type { HttpClient, RunningApp, StartOptions } from '../../../lib/index.ts';
import type { ProductReviews } from '../reviews.ts';
import { indexPage, productPage } from './page.ts';
import type { Fetched, Product } from './page.ts';
import { createSessions } from './session.ts';

export const DETAILS_UNAVAILABLE = 'Sorry, product details are currently unavailable for this book.';
export const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';
export const RATINGS_UNAVAILABLE = 'Sorry, product ratings are currently unavailable for this book.';

const CALL_TIMEOUT_MS = 3000;
const REVIEWS_ATTEMPTS = 2;

export const PRODUCTS: readonly Product[] = [
  {
    id: 0,
    title: 'The Comedy of Errors',
    descriptionHtml:
      '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare\'s</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play.',
  },
];

const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function loadStatic(): ReadonlyMap<string, { type: string; body: Buffer }> {
  const dir = new URL('./static/', import.meta.url);
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = STATIC_TYPES[name.slice(name.lastIndexOf('.'))];
    if (type) files.set(name, { type, body: readFileSync(new URL(name, dir)) });
  }
  return files;
}

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 9080);
  const env = app.env;
  const domain = env.SERVICES_DOMAIN ? `.${env.SERVICES_DOMAIN}` : '';
  const services = {
    details: `http://${env.DETAILS_HOSTNAME || 'details'}${domain}:9080/details`,
    reviews: `http://${env.REVIEWS_HOSTNAME || 'reviews'}${domain}:9080/reviews`,
    ratings: `http://${env.RATINGS_HOSTNAME || 'ratings'}${domain}:9080/ratings`,
  };
  const client = createClient(env);
  const sessions = createSessions(env.SESSION_SECRET);
  const statics = loadStatic();

  // The signed-in user wins; a caller that sends end-user itself (curl, a test) keeps it. Like
  // Istio's productpage, credentials travel on to the services it calls.
  function outgoingHeaders(req: IncomingMessage): Record<string, string> {
    const extra: Record<string, string> = {};
    for (const name of ['authorization', 'jwt']) {
      const value = req.headers[name];
      if (typeof value === 'string') extra[name] = value;
    }
    const user = sessions.user(req);
    if (user) extra['end-user'] = user;
    return forwardHeaders(req.headers, extra);
  }

  const details = (id: string, headers: Record<string, string>) =>
    fetchJson<Record<string, unknown>>(client, `${services.details}/${id}`, headers, 1, DETAILS_UNAVAILABLE);
  const reviews = (id: string, headers: Record<string, string>) =>
    fetchJson<ProductReviews>(
      client,
      `${services.reviews}/${id}`,
      headers,
      REVIEWS_ATTEMPTS,
      REVIEWS_UNAVAILABLE,
    );
  const ratings = (id: string, headers: Record<string, string>) =>
    fetchJson(client, `${services.ratings}/${id}`, headers, 1, RATINGS_UNAVAILABLE);

  function back(req: IncomingMessage, res: ServerResponse, cookie: string) {
    res.writeHead(302, { location: req.headers.referer || 'productpage', 'set-cookie': cookie });
    res.end();
  }

  const running = await listen({
    name: 'productpage',
    host: app.host,
    port: app.port,
    log: options.log,
    async handler(req, res) {
      const url = new URL(req.url ?? '/', 'http://productpage');
      const path = url.pathname;
      if (path === '/' || path === '/index.html')
        return sendText(
          res,
          200,
          indexPage([
            { name: 'productpage', url: 'http://productpage:9080' },
            { name: 'details', url: services.details },
            { name: 'reviews', url: services.reviews },
            { name: 'ratings', url: services.ratings },
          ]),
          'text/html; charset=utf-8',
        );
      if (path === '/health') return sendText(res, 200, 'Product page is healthy');
      if (path === '/login' && req.method === 'POST') {
        const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
        const user = form.get('username') ?? url.searchParams.get('username') ?? '';
        return back(req, res, user ? sessions.signIn(user) : sessions.signOut());
      }
      if (path === '/logout') return back(req, res, sessions.signOut());
      if (path === '/productpage') {
        const headers = outgoingHeaders(req);
        const product = PRODUCTS[0]!;
        const [d, r] = await Promise.all([
          details(String(product.id), headers),
          reviews(String(product.id), headers),
        ]);
        const html = productPage({ product, details: d, reviews: r, user: sessions.user(req) });
        return sendText(res, 200, html, 'text/html; charset=utf-8');
      }
      if (path === '/api/v1/products') return sendJson(res, 200, PRODUCTS);
      const api = /^\/api\/v1\/products\/([^/]+)(?:\/(reviews|ratings))?$/.exec(path);
      if (api) {
        const id = decodeURIComponent(api[1]!);
        const call = api[2] === 'reviews' ? reviews : api[2] === 'ratings' ? ratings : details;
        const result = await call(encodeURIComponent(id), outgoingHeaders(req));
        return sendJson(res, result.status, result.body);
      }
      if (path.startsWith('/static/')) {
        const file = statics.get(path.slice('/static/'.length));
        if (file) {
          res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length });
          res.end(file.body);
          return;
        }
      }
      return sendText(res, 404, 'Not Found\n');
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

/** GETs JSON; after `attempts` failures answers the last status (500 if none) and `unavailable`. */
async function fetchJson<T>(
  client: HttpClient,
  url: string,
  headers: Record<string, string>,
  attempts: number,
  unavailable: string,
): Promise<Fetched<T>> {
  let status = 500;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await client.request(url, { headers, timeoutMs: CALL_TIMEOUT_MS });
      status = res.status || 500;
      if (res.status === 200) return { status: 200, body: JSON.parse(res.body.toString('utf8')) as T };
    } catch {
      status = 500;
    }
  }
  return { status, body: { error: unavailable } };
}

if (import.meta.main) await runMain(start);
