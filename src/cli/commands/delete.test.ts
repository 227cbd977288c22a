import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cliInTempState, configFixture as fx } from '../testing.ts';

const clis: ReturnType<typeof cliInTempState>[] = [];
after(() => clis.forEach((c) => c.cleanup()));
async function applied() {
  const c = cliInTempState();
  clis.push(c);
  assert.equal((await c.run(['apply', '-f', fx('reviews.yaml')])).code, 0);
  return c.run;
}

test('delete -f deletes what the file names; a second time it is NotFound', async () => {
  const run = await applied();
  const r = await run(['delete', '-f', fx('reviews.yaml')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^virtualservice\.networking\.istio\.io "reviews" deleted$/m);
  assert.equal(r.out.split('\n').length, 4);
  const again = await run(['delete', '-f', fx('reviews.yaml')]);
  assert.equal(again.code, 1);
  assert.match(
    again.err,
    new RegExp(
      `^Error from server \\(NotFound\\): error when deleting "${fx('reviews.yaml')}": virtualservices\\.networking\\.istio\\.io "reviews" not found$`,
      'm',
    ),
  );
  assert.equal((await run(['delete', '-f', fx('reviews.yaml'), '--ignore-not-found'])).code, 0);
});

test('delete by type and name, TYPE/NAME, and --all', async () => {
  const run = await applied();
  const byName = await run(['delete', 'vs', 'reviews', 'ghost', '-n', 'default']);
  assert.equal(byName.code, 1);
  assert.equal(byName.out, 'virtualservice.networking.istio.io "reviews" deleted');
  assert.equal(
    byName.err,
    'Error from server (NotFound): virtualservices.networking.istio.io "ghost" not found',
  );
  assert.equal(
    (await run(['delete', 'dr/reviews'])).out,
    'destinationrule.networking.istio.io "reviews" deleted',
  );
  const all = await run(['delete', 'svc,gw', '--all']);
  assert.equal(all.out, 'service "reviews" deleted\ngateway.networking.istio.io "bookinfo-gateway" deleted');
  assert.equal((await run(['delete', 'vs', '--all'])).err, 'No resources found');
  assert.equal((await run(['delete', 'vs'])).code, 2);
});

test('the default namespace cannot be deleted; deleting another empties it', async () => {
  const run = await applied();
  const r = await run(['delete', 'ns', 'default']);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted',
  );
  await run(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n');
  assert.equal((await run(['apply', '-f', fx('namespaced.yaml')])).code, 0);
  assert.equal((await run(['delete', 'namespace', 'prod'])).out, 'namespace "prod" deleted');
  assert.equal((await run(['get', 'gw', '-n', 'prod'])).err, 'No resources found in prod namespace.');
});
