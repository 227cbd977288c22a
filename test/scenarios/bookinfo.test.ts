// The seeds' Bookinfo exercises, end to end against a real `caravel demo`: ingress, round robin,
// header routing, weighted routing, canary, fault injection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startDemo } from './mesh.ts';
import type { RunningMesh } from './mesh.ts';

let mesh: RunningMesh;

before(async () => {
  mesh = await startDemo();
});

after(async () => {
  // SIGTERM stops the mesh gracefully; the exit status says which signal ended it.
  assert.equal(await mesh.stop(), 143);
});

const NETWORKING = 'samples/bookinfo/networking';

async function apply(file: string): Promise<void> {
  const r = await mesh.caravel('apply', '-f', `${NETWORKING}/${file}`);
  assert.equal(r.code, 0, r.err);
}

/** Which reviews version answered one productpage request (via its JSON API). */
async function reviewsVersion(headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${mesh.gatewayUrl}/api/v1/products/0/reviews`, { headers });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { podname?: string };
  const m = /^reviews-(v\d)-/.exec(body.podname ?? '');
  assert.ok(m, `no reviews pod in ${JSON.stringify(body)}`);
  return m[1]!;
}

async function versions(n: number, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = await reviewsVersion(headers);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

async function only(version: string, headers: Record<string, string> = {}): Promise<boolean> {
  const counts = await versions(12, headers);
  return counts.size === 1 && counts.has(version);
}

test('the product page is served through the ingress gateway', async () => {
  const res = await fetch(`${mesh.gatewayUrl}/productpage`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /The Comedy of Errors/);
  assert.match(html, /Reviewer1/);
  const missing = await fetch(`${mesh.gatewayUrl}/no-such-page`);
  assert.equal(missing.status, 404);
});

test('without routing rules the three reviews versions take turns', async () => {
  const counts = await versions(30);
  assert.deepEqual([...counts.keys()].sort(), ['v1', 'v2', 'v3']);
  for (const n of counts.values()) assert.ok(n >= 5, `uneven round robin: ${JSON.stringify([...counts])}`);
});

test('all-v1 sends every request to reviews v1', async () => {
  await apply('virtual-service-all-v1.yaml');
  await eventually(() => only('v1'));
});

test('end-user jason goes to v2, everybody else stays on v1', async () => {
  await apply('virtual-service-reviews-test-v2.yaml');
  await eventually(() => only('v2', { 'end-user': 'jason' }));
  assert.ok(await only('v1'));
  assert.ok(await only('v1', { 'end-user': 'someone-else' }));
});

test('signing in as jason on the product page shows the black stars of v2', async () => {
  const login = await fetch(`${mesh.gatewayUrl}/login`, {
    method: 'POST',
    body: new URLSearchParams({ username: 'jason', passwd: 'password' }),
    redirect: 'manual',
  });
  const cookie = login.headers.get('set-cookie')?.split(';')[0];
  assert.ok(cookie, 'login sets a session cookie');
  const html = await (await fetch(`${mesh.gatewayUrl}/productpage`, { headers: { cookie } })).text();
  assert.match(html, /jason/);
  assert.match(html, /color="black"/);
});

test('50/50 between v1 and v3 holds within statistical bounds', async () => {
  await apply('virtual-service-reviews-50-v3.yaml');
  await eventually(async () => (await versions(10)).has('v3'));
  const counts = await versions(200);
  const v1 = counts.get('v1') ?? 0;
  const v3 = counts.get('v3') ?? 0;
  assert.equal(v1 + v3, 200, JSON.stringify([...counts]));
  // 200 trials at p = 0.5: σ ≈ 7.1; ±4.2σ.
  assert.ok(v1 >= 70 && v1 <= 130, `v1 ${v1} of 200`);
});

test('v3 only, then the canary 90/10 between v1 and v2, then 100% v2 and back', async () => {
  await apply('virtual-service-reviews-v3.yaml');
  await eventually(() => only('v3'));
  await apply('virtual-service-reviews-90-10.yaml');
  await eventually(async () => !(await versions(10)).has('v3'));
  const counts = await versions(200);
  const v2 = counts.get('v2') ?? 0;
  assert.equal((counts.get('v1') ?? 0) + v2, 200, JSON.stringify([...counts]));
  // 200 trials at p = 0.1: mean 20, σ ≈ 4.2.
  assert.ok(v2 >= 3 && v2 <= 40, `v2 ${v2} of 200`);
  await apply('virtual-service-reviews-v2.yaml');
  await eventually(() => only('v2'));
  await apply('virtual-service-all-v1.yaml');
  await eventually(() => only('v1'));
});

test('a 7 s ratings delay for jason makes reviews unavailable after two 3 s tries; others are unaffected', async () => {
  await apply('virtual-service-reviews-test-v2.yaml');
  await eventually(() => only('v2', { 'end-user': 'jason' }));
  await apply('virtual-service-ratings-test-delay.yaml');
  // The delay rule is in place once jason's request to reviews v2 no longer answers at once.
  await eventually(async () => {
    const res = await fetch(`${mesh.gatewayUrl}/api/v1/products/0/reviews`, {
      headers: { 'end-user': 'jason' },
      signal: AbortSignal.timeout(1000),
    }).catch(() => undefined);
    return res === undefined;
  }, 15_000);
  const started = performance.now();
  const html = await (
    await fetch(`${mesh.gatewayUrl}/productpage`, { headers: { 'end-user': 'jason' } })
  ).text();
  const elapsed = performance.now() - started;
  assert.match(html, /Sorry, product reviews are currently unavailable for this book\./);
  assert.ok(elapsed >= 5500, `gave up after ${elapsed} ms, before two 3 s timeouts`);
  const other = await (await fetch(`${mesh.gatewayUrl}/productpage`)).text();
  assert.doesNotMatch(other, /currently unavailable/);
});

test('a 500 abort on ratings for jason shows "Ratings service is currently unavailable"', async () => {
  await apply('virtual-service-ratings-test-abort.yaml');
  await eventually(async () => {
    const html = await (
      await fetch(`${mesh.gatewayUrl}/productpage`, { headers: { 'end-user': 'jason' } })
    ).text();
    return /Ratings service is currently unavailable/.test(html);
  });
  const other = await (await fetch(`${mesh.gatewayUrl}/productpage`)).text();
  assert.doesNotMatch(other, /Ratings service is currently unavailable/);
});
