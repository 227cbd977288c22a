// Bookinfo's reviews service, in its three versions. The version comes from SERVICE_VERSION (the
// catalogue sets it from the image name, examples-bookinfo-reviews-v2 → v2): v1 shows no stars, v2
// black stars, v3 red stars; v2 and v3 ask ratings for them. Istio's own variables ENABLE_RATINGS
// and STAR_COLOR, when set, win over the version. As in Istio's image, the call to ratings times out
// after 10 s for black stars and 2.5 s for any other colour.
import { createClient, forwardHeaders, listen, readAppEnv, runMain, sendJson } from '../../lib/index.ts';
import type { HttpClient, RunningApp, StartOptions } from '../../lib/index.ts';
import type { Ratings } from './ratings.ts';

export interface ReviewRating {
  readonly stars?: number;
  readonly color?: string;
  readonly error?: string;
}

export interface Review {
  readonly reviewer: string;
  readonly text: string;
  readonly rating?: ReviewRating;
}

export interface ProductReviews {
  readonly id: string;
  readonly podname: string;
  readonly clustername: string;
  readonly reviews: readonly Review[];
}

export const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

const REVIEWS: readonly Omit<Review, 'rating'>[] = [
  {
    reviewer: 'Reviewer1',
    text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!',
  },
  {
    reviewer: 'Reviewer2',
    text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.',
  },
];

const REVIEWS_PATH = /^\/reviews\/(-?\d+)$/;

export interface ReviewsBehaviour {
  readonly ratingsEnabled: boolean;
  readonly starColor: string;
  readonly ratingsTimeoutMs: number;
}

/** What a reviews version does, from SERVICE_VERSION and Istio's ENABLE_RATINGS / STAR_COLOR. */
export function reviewsBehaviour(version: string | undefined, env: StartOptions['env']): ReviewsBehaviour {
  const byVersion = version === 'v2' || version === 'v3';
  const ratingsEnabled = env.ENABLE_RATINGS !== undefined ? env.ENABLE_RATINGS === 'true' : byVersion;
  const starColor = env.STAR_COLOR || (version === 'v3' ? 'red' : 'black');
  return Object.freeze({
    ratingsEnabled,
    starColor,
    ratingsTimeoutMs: starColor === 'black' ? 10_000 : 2_500,
  });
}

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 9080);
  const behaviour = reviewsBehaviour(app.serviceVersion, app.env);
  const domain = app.env.SERVICES_DOMAIN ? `.${app.env.SERVICES_DOMAIN}` : '';
  const ratingsBase = `http://${app.env.RATINGS_HOSTNAME || 'ratings'}${domain}:9080/ratings`;
  const client = createClient(app.env);

  const running = await listen({
    name: 'reviews',
    host: app.host,
    port: app.port,
    log: options.log,
    async handler(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/health') return sendJson(res, 200, { status: 'Reviews is healthy' });
      const m = REVIEWS_PATH.exec(path);
      if (!m) return sendJson(res, 404, { error: 'not found' });
      const id = String(Number(m[1]));
      let stars: Readonly<Record<string, number>> | undefined;
      if (behaviour.ratingsEnabled)
        stars = await fetchRatings(client, `${ratingsBase}/${id}`, req.headers, behaviour, options.log);
      const body: ProductReviews = {
        id,
        podname: app.podName,
        clustername: app.env.CLUSTER_NAME || 'null',
        reviews: REVIEWS.map((r) => {
          if (!behaviour.ratingsEnabled) return r;
          const n = stars?.[r.reviewer];
          return {
            ...r,
            rating:
              n === undefined ? { error: RATINGS_UNAVAILABLE } : { stars: n, color: behaviour.starColor },
          };
        }),
      };
      return sendJson(res, 200, body);
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

async function fetchRatings(
  client: HttpClient,
  url: string,
  incoming: Parameters<typeof forwardHeaders>[0],
  behaviour: ReviewsBehaviour,
  log: StartOptions['log'],
): Promise<Readonly<Record<string, number>> | undefined> {
  try {
    const res = await client.request(url, {
      headers: { ...forwardHeaders(incoming), accept: 'application/json' },
      timeoutMs: behaviour.ratingsTimeoutMs,
    });
    if (res.status !== 200) {
      log?.(`Error: unable to contact ${url} got status of ${res.status}`);
      return undefined;
    }
    return (JSON.parse(res.body.toString('utf8')) as Partial<Ratings>).ratings;
  } catch (e) {
    log?.(`Error: unable to contact ${url} got exception ${(e as Error).message}`);
    return undefined;
  }
}

if (import.meta.main) await runMain(start);
