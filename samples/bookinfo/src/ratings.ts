// Bookinfo's ratings service: the stars each reviewer gave a book. SERVICE_VERSION selects the
// demo behaviours of Istio's ratings image: v-faulty answers 503 half the time, v-delayed waits 7 s
// half the time.
import { setTimeout as sleep } from 'node:timers/promises';
import { listen, readAppEnv, readBody, runMain, sendJson } from '../../lib/index.ts';
import type { RunningApp, StartOptions } from '../../lib/index.ts';

export interface Ratings {
  readonly id: number;
  readonly ratings: Readonly<Record<string, number>>;
}

const DEFAULT_RATINGS = { Reviewer1: 5, Reviewer2: 4 };
const RATINGS_PATH = /^\/ratings\/([^/?]*)$/;

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 9080);
  const version = app.serviceVersion ?? 'v1';
  const added = new Map<number, Ratings>();
  const random = Math.random;

  return listen({
    name: 'ratings',
    host: app.host,
    port: app.port,
    log: options.log,
    async handler(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/health') return sendJson(res, 200, { status: 'Ratings is healthy' });
      const m = RATINGS_PATH.exec(path);
      if (!m) return sendJson(res, 404, { error: 'not found' });
      const id = Number.parseInt(m[1]!, 10);
      if (Number.isNaN(id)) return sendJson(res, 400, { error: 'please provide numeric product ID' });
      if (req.method === 'POST') {
        let ratings: unknown;
        try {
          ratings = JSON.parse((await readBody(req)).toString('utf8'));
        } catch {
          return sendJson(res, 400, { error: 'please provide valid ratings JSON' });
        }
        if (!isRatings(ratings)) return sendJson(res, 400, { error: 'please provide valid ratings JSON' });
        added.set(id, { id, ratings });
        return sendJson(res, 200, added.get(id));
      }
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'method not allowed' });
      if (version === 'v-faulty' && random() <= 0.5)
        return sendJson(res, 503, { error: 'Service unavailable' });
      if (version === 'v-delayed' && random() <= 0.5) await sleep(7000);
      return sendJson(res, 200, added.get(id) ?? { id, ratings: DEFAULT_RATINGS });
    },
  });
}

function isRatings(value: unknown): value is Record<string, number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 5)
  );
}

if (import.meta.main) await runMain(start);
