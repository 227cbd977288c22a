// Bookinfo's four services on loopback, called through a test forward proxy the way they are
// called through a sidecar: pages, JSON shapes, header propagation, and the failure texts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestProxy } from '../../lib/testing.ts';
import type { TestProxy } from '../../lib/testing.ts';
import type { RunningApp } from '../../lib/index.ts';
import { start as startDetails } from './details.ts';
import { start as startProductpage } from './productpage/productpage.ts';
import { start as startRatings } from './ratings.ts';
import { reviewsBehaviour, start as startReviews } from './reviews.ts';

const loopback = { HOST: '127.0.0.1', PORT: '0' };
const TRACE = {
  'x-request-id': 'req-6f1c',
  'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
  'x-b3-spanid': 'e457b5a2e4d86bd1',
  'x-b3-parentspanid': '05e3ac9a4f6e3b90',
  'x-b3-sampled': '1',
  b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1',
  traceparent: '00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01',
  'user-agent': 'bookinfo-test/1.0',
};

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('bookinfo', () => {
  let proxy: TestProxy;
  const apps: Record<string, RunningApp> = {};

  before(async () => {
    proxy = await startTestProxy();
    const viaProxy = { ...loopback, HTTP_PROXY: proxy.url };
    apps.ratings = await startRatings({ env: loopback });
    apps.details = await startDetails({ env: loopback });
    apps.v1 = await startReviews({ env: { ...viaProxy, SERVICE_VERSION: 'v1', POD_NAME: 'reviews-v1-abc' } });
    apps.v2 = await startReviews({ env: { ...viaProxy, SERVICE_VERSION: 'v2', POD_NAME: 'reviews-v2-abc' } });
    apps.v3 = await startReviews({ env: { ...viaProxy, SERVICE_VERSION: 'v3', POD_NAME: 'reviews-v3-abc' } });
    apps.productpage = await startProductpage({ env: { ...viaProxy, SESSION_SECRET: 'test' } });
    proxy.route('ratings:9080', apps.ratings.url);
    proxy.route('details:9080', apps.details.url);
    proxy.route('reviews:9080', apps.v3.url);
  });

  after(async () => {
    await Promise.all(Object.values(apps).map((a) => a.close()));
    await proxy.close();
  });

  it('ratings answers the reviewers’ stars, health, and refuses a bad id', async () => {
    assert.deepEqual(JSON.parse((await get(`${apps.ratings!.url}/ratings/0`)).text), {
      id: 0,
      ratings: { Reviewer1: 5, Reviewer2: 4 },
    });
    assert.deepEqual(JSON.parse((await get(`${apps.ratings!.url}/health`)).text), {
      status: 'Ratings is healthy',
    });
    const bad = await get(`${apps.ratings!.url}/ratings/abc`);
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.text), { error: 'please provide numeric product ID' });
    const posted = await fetch(`${apps.ratings!.url}/ratings/7`, {
      method: 'POST',
      body: JSON.stringify({ Reviewer1: 1, Reviewer2: 2 }),
    });
    assert.deepEqual(await posted.json(), { id: 7, ratings: { Reviewer1: 1, Reviewer2: 2 } });
    assert.deepEqual(JSON.parse((await get(`${apps.ratings!.url}/ratings/7`)).text).ratings, {
      Reviewer1: 1,
      Reviewer2: 2,
    });
  });

  it('details answers the book’s details and health', async () => {
    const d = JSON.parse((await get(`${apps.details!.url}/details/0`)).text);
    assert.equal(d.id, 0);
    assert.equal(d.author, 'William Shakespeare');
    assert.equal(d['ISBN-10'], '1234567890');
    assert.equal(d.publisher, 'PublisherA');
    assert.equal((await get(`${apps.details!.url}/details/x`)).status, 400);
    assert.deepEqual(JSON.parse((await get(`${apps.details!.url}/health`)).text), {
      status: 'Details is healthy',
    });
  });

  it('reviews v1 has no ratings; v2 black and v3 red stars come from ratings through the proxy', async () => {
    const v1 = JSON.parse((await get(`${apps.v1!.url}/reviews/0`)).text);
    assert.equal(v1.id, '0');
    assert.equal(v1.podname, 'reviews-v1-abc');
    assert.equal(v1.clustername, 'null');
    assert.equal(v1.reviews.length, 2);
    assert.ok(v1.reviews.every((r: { rating?: unknown }) => r.rating === undefined));

    const v2 = JSON.parse((await get(`${apps.v2!.url}/reviews/0`, TRACE)).text);
    assert.deepEqual(v2.reviews[0].rating, { stars: 5, color: 'black' });
    assert.deepEqual(v2.reviews[1].rating, { stars: 4, color: 'black' });
    const toRatings = proxy.seen.findLast((s) => s.target === 'http://ratings:9080/ratings/0');
    assert.ok(toRatings, 'reviews called ratings in absolute form through HTTP_PROXY');
    for (const [name, value] of Object.entries(TRACE)) assert.equal(toRatings.headers[name], value, name);

    const v3 = JSON.parse((await get(`${apps.v3!.url}/reviews/0`)).text);
    assert.deepEqual(v3.reviews[0].rating, { stars: 5, color: 'red' });
    assert.equal((await get(`${apps.v3!.url}/health`)).text, '{"status":"Reviews is healthy"}');
  });

  it('reviews versions map to Istio’s ENABLE_RATINGS / STAR_COLOR behaviour', () => {
    assert.deepEqual(reviewsBehaviour('v1', {}), {
      ratingsEnabled: false,
      starColor: 'black',
      ratingsTimeoutMs: 10000,
    });
    assert.deepEqual(reviewsBehaviour('v2', {}), {
      ratingsEnabled: true,
      starColor: 'black',
      ratingsTimeoutMs: 10000,
    });
    assert.deepEqual(reviewsBehaviour('v3', {}), {
      ratingsEnabled: true,
      starColor: 'red',
      ratingsTimeoutMs: 2500,
    });
    assert.equal(reviewsBehaviour(undefined, { ENABLE_RATINGS: 'true', STAR_COLOR: 'red' }).starColor, 'red');
    assert.equal(reviewsBehaviour('v2', { ENABLE_RATINGS: 'false' }).ratingsEnabled, false);
  });

  it('productpage shows the book, details and red stars, propagating the trace headers', async () => {
    proxy.seen.length = 0;
    const page = await get(`${apps.productpage!.url}/productpage`, TRACE);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.text, /The Comedy of Errors/);
    assert.match(page.text, /Book Details/);
    assert.match(page.text, /<dt>ISBN-10:<\/dt><dd>1234567890<\/dd>/);
    assert.match(page.text, /Book Reviews/);
    assert.match(
      page.text,
      /<font color="red">(<span class="glyphicon glyphicon-star">&#9733;<\/span>){5}<\/font>/,
    );
    assert.match(
      page.text,
      /<small>Reviewer2<\/small>\s*<font color="red">(<span class="glyphicon glyphicon-star">&#9733;<\/span>){4}<span class="glyphicon glyphicon-star-empty">/,
    );
    assert.match(page.text, /Reviews served by: <u>reviews-v3-abc<\/u>/);
    assert.match(page.text, /Sign in/);
    const targets = proxy.seen.map((s) => s.target).sort();
    assert.deepEqual(targets, [
      'http://details:9080/details/0',
      'http://ratings:9080/ratings/0',
      'http://reviews:9080/reviews/0',
    ]);
    for (const seen of proxy.seen)
      for (const [name, value] of Object.entries(TRACE))
        assert.equal(seen.headers[name], value, `${seen.target} ${name}`);
    assert.ok(proxy.seen.every((s) => s.headers['end-user'] === undefined));
  });

  it('sign in as jason makes every call carry end-user: jason; sign out stops it', async () => {
    const login = await fetch(`${apps.productpage!.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: 'http://gw/productpage' },
      body: 'username=jason&passwd=jason',
      redirect: 'manual',
    });
    assert.equal(login.status, 302);
    assert.equal(login.headers.get('location'), 'http://gw/productpage');
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(cookie, /^session=/);

    proxy.seen.length = 0;
    const page = await get(`${apps.productpage!.url}/productpage`, { cookie, authorization: 'Bearer t0k' });
    assert.match(page.text, /jason \( <a href="logout">sign out<\/a> \)/);
    assert.equal(proxy.seen.length, 3);
    assert.ok(proxy.seen.every((s) => s.headers['end-user'] === 'jason'));
    const fromProductpage = proxy.seen.filter((s) => !s.target.startsWith('http://ratings'));
    assert.ok(fromProductpage.every((s) => s.headers.authorization === 'Bearer t0k'));

    const forged = await get(`${apps.productpage!.url}/productpage`, { cookie: `${cookie}x` });
    assert.match(forged.text, /Sign in/);

    const logout = await fetch(`${apps.productpage!.url}/logout`, {
      headers: { cookie },
      redirect: 'manual',
    });
    assert.equal(logout.status, 302);
    assert.match(logout.headers.get('set-cookie') ?? '', /^session=;.*Max-Age=0/);
  });

  it('productpage shows the failure texts when ratings, reviews or details fail', async () => {
    try {
      proxy.fail('ratings:9080', 500);
      const noRatings = await get(`${apps.productpage!.url}/productpage`);
      assert.equal(
        (noRatings.text.match(/<p><i>Ratings service is currently unavailable<\/i><\/p>/g) ?? []).length,
        2,
      );
      const api = await get(`${apps.productpage!.url}/api/v1/products/0/reviews`);
      assert.deepEqual(JSON.parse(api.text).reviews[0].rating, {
        error: 'Ratings service is currently unavailable',
      });
      const ratingsApi = await get(`${apps.productpage!.url}/api/v1/products/0/ratings`);
      assert.equal(ratingsApi.status, 500);
      assert.deepEqual(JSON.parse(ratingsApi.text), {
        error: 'Sorry, product ratings are currently unavailable for this book.',
      });

      proxy.seen.length = 0;
      proxy.fail('reviews:9080', 503);
      const noReviews = await get(`${apps.productpage!.url}/productpage`);
      assert.match(noReviews.text, /Error fetching product reviews!/);
      assert.match(noReviews.text, /Sorry, product reviews are currently unavailable for this book\./);
      assert.equal(
        proxy.seen.filter((s) => s.target === 'http://reviews:9080/reviews/0').length,
        2,
        'one retry',
      );
      const reviewsApi = await get(`${apps.productpage!.url}/api/v1/products/0/reviews`);
      assert.equal(reviewsApi.status, 503);

      proxy.fail('details:9080', 404);
      const noDetails = await get(`${apps.productpage!.url}/productpage`);
      assert.match(noDetails.text, /Error fetching product details!/);
      assert.match(noDetails.text, /Sorry, product details are currently unavailable for this book\./);
    } finally {
      proxy.route('ratings:9080', apps.ratings!.url);
      proxy.route('details:9080', apps.details!.url);
      proxy.route('reviews:9080', apps.v3!.url);
    }
  });

  it('productpage answers the JSON API, health, index and static files', async () => {
    const products = JSON.parse((await get(`${apps.productpage!.url}/api/v1/products`)).text);
    assert.equal(products[0].id, 0);
    assert.equal(products[0].title, 'The Comedy of Errors');
    assert.match(products[0].descriptionHtml, /William Shakespeare/);
    const details = JSON.parse((await get(`${apps.productpage!.url}/api/v1/products/0`)).text);
    assert.equal(details.type, 'paperback');
    const ratings = JSON.parse((await get(`${apps.productpage!.url}/api/v1/products/0/ratings`)).text);
    assert.deepEqual(ratings, { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    assert.equal((await get(`${apps.productpage!.url}/health`)).text, 'Product page is healthy');
    assert.match((await get(`${apps.productpage!.url}/`)).text, /productpage\?u=normal/);
    const css = await get(`${apps.productpage!.url}/static/bookinfo.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    assert.equal((await get(`${apps.productpage!.url}/static/../productpage.ts`)).status, 404);
  });

  it('without a proxy, service names resolve from <NAME>_SERVICE_HOST/_PORT', async () => {
    const direct = await startProductpage({
      env: {
        ...loopback,
        DETAILS_SERVICE_HOST: '127.0.0.1',
        DETAILS_SERVICE_PORT: String(apps.details!.port),
        REVIEWS_SERVICE_HOST: '127.0.0.1',
        REVIEWS_SERVICE_PORT: String(apps.v1!.port),
      },
    });
    try {
      const page = await get(`${direct.url}/productpage`);
      assert.match(page.text, /Book Details/);
      assert.match(page.text, /Reviews served by: <u>reviews-v1-abc<\/u>/);
      assert.doesNotMatch(page.text, /glyphicon-star/);
    } finally {
      await direct.close();
    }
  });
});
