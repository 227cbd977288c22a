import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningApp } from '../../lib/index.ts';
import { start } from './httpbin.ts';
import { parseStatusCodes, pickStatus } from './status.ts';

const json = async (res: Promise<Response>) => JSON.parse(await (await res).text());

describe('httpbin', () => {
  let app: RunningApp;
  before(async () => {
    app = await start({ env: { HOST: '127.0.0.1', PORT: '0' } });
  });
  after(() => app.close());

  it('/get answers args, Title-Case headers, origin and url, hiding env headers', async () => {
    const res = await fetch(`${app.url}/get?a=1&b=2&b=3`, {
      headers: { 'x-b3-traceid': 'abc', 'x-request-id': 'r1', 'user-agent': 'curl/8.5.0' },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^\{\n {2}"args": \{/, 'two-space indented, sorted keys');
    const body = JSON.parse(text);
    assert.deepEqual(Object.keys(body), ['args', 'headers', 'origin', 'url']);
    assert.deepEqual(body.args, { a: '1', b: ['2', '3'] });
    assert.equal(body.headers['X-B3-Traceid'], 'abc');
    assert.equal(body.headers['User-Agent'], 'curl/8.5.0');
    assert.equal(body.headers['X-Request-Id'], undefined);
    assert.equal(body.origin, '127.0.0.1');
    assert.equal(body.url, `http://127.0.0.1:${app.port}/get?a=1&b=2&b=3`);
    const env = await json(fetch(`${app.url}/headers?show_env=1`, { headers: { 'x-request-id': 'r1' } }));
    assert.equal(env.headers['X-Request-Id'], 'r1');
    assert.equal((await fetch(`${app.url}/get`, { method: 'POST' })).status, 405);
  });

  it('/ip, /user-agent, /uuid and /headers', async () => {
    assert.deepEqual(await json(fetch(`${app.url}/ip`, { headers: { 'x-forwarded-for': '10.1.2.3' } })), {
      origin: '10.1.2.3',
    });
    assert.deepEqual(
      await json(fetch(`${app.url}/user-agent`, { headers: { 'user-agent': 'fortio.org/fortio' } })),
      {
        'user-agent': 'fortio.org/fortio',
      },
    );
    const { uuid } = await json(fetch(`${app.url}/uuid`));
    assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const h = await json(fetch(`${app.url}/headers`, { headers: { 'end-user': 'jason' } }));
    assert.equal(h.headers['End-User'], 'jason');
  });

  it('/post and /anything echo data, form and json; /anything adds the method', async () => {
    const post = await json(
      fetch(`${app.url}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"x":1}',
      }),
    );
    assert.equal(post.data, '{"x":1}');
    assert.deepEqual(post.json, { x: 1 });
    assert.deepEqual(post.form, {});
    const form = await json(
      fetch(`${app.url}/anything/deep/path?q=1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=b&c=d',
      }),
    );
    assert.equal(form.method, 'PUT');
    assert.deepEqual(form.form, { a: 'b', c: 'd' });
    assert.equal(form.data, '');
    assert.equal(form.json, null);
    assert.match(form.url, /\/anything\/deep\/path\?q=1$/);
  });

  it('/status answers the code, 3xx with a location, 400 for nonsense', async () => {
    assert.equal((await fetch(`${app.url}/status/503`)).status, 503);
    assert.equal((await fetch(`${app.url}/status/418`)).status, 418);
    const redirect = await fetch(`${app.url}/status/302`, { redirect: 'manual' });
    assert.equal(redirect.headers.get('location'), '/redirect/1');
    assert.equal((await fetch(`${app.url}/status/abc`)).status, 400);
    assert.equal((await fetch(`${app.url}/status/200:x`)).status, 400);
  });

  it('/status with weights picks codes in proportion (within statistical bounds)', async () => {
    const n = 400;
    const codes = await Promise.all(
      Array.from({ length: n }, async () => (await fetch(`${app.url}/status/200:0.9,503:0.1`)).status),
    );
    const unavailable = codes.filter((c) => c === 503).length;
    assert.equal(codes.filter((c) => c === 200).length + unavailable, n);
    // p = 0.1, σ = 15 over 400 draws: ±4σ
    assert.ok(unavailable >= 16 && unavailable <= 64, `503 answered ${unavailable} times of ${n}`);
  });

  it('weighted choice follows the weights; equal without weights', () => {
    assert.deepEqual(parseStatusCodes('200,503'), [
      { code: 200, weight: 1 },
      { code: 503, weight: 1 },
    ]);
    assert.equal(parseStatusCodes('99'), undefined);
    assert.equal(parseStatusCodes('200:-1'), undefined);
    const codes = parseStatusCodes('200:0.5,500:0.25,503:0.25')!;
    assert.equal(
      pickStatus(codes, () => 0.49),
      200,
    );
    assert.equal(
      pickStatus(codes, () => 0.5),
      500,
    );
    assert.equal(
      pickStatus(codes, () => 0.99),
      503,
    );
  });

  it('/delay/{n} waits n seconds; a caller that gives up does not hang the server', async () => {
    const started = performance.now();
    const res = await fetch(`${app.url}/delay/0.2?x=1`);
    const elapsed = performance.now() - started;
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(await res.text()).args, { x: '1' });
    assert.ok(elapsed >= 190, `answered after ${elapsed} ms`);
    // A capped delay is abandoned by the caller; the server must not hang on close.
    const aborted = await fetch(`${app.url}/delay/3600`, { signal: AbortSignal.timeout(100) }).catch(
      (e) => e,
    );
    assert.equal((aborted as Error).name, 'TimeoutError');
    assert.equal((await fetch(`${app.url}/delay/x`)).status, 400);
  });
});
