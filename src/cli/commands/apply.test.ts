import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cliInTempState, configFixture as fx } from '../testing.ts';

const clis: ReturnType<typeof cliInTempState>[] = [];
after(() => clis.forEach((c) => c.cleanup()));
function cli() {
  const c = cliInTempState();
  clis.push(c);
  return c;
}

test('apply prints created, unchanged and configured as kubectl does', async () => {
  const { run } = cli();
  const first = await run(['apply', '-f', fx('reviews.yaml')]);
  assert.equal(first.code, 0, first.err);
  assert.equal(
    first.out,
    [
      'service/reviews created',
      'gateway.networking.istio.io/bookinfo-gateway created',
      'virtualservice.networking.istio.io/reviews created',
      'destinationrule.networking.istio.io/reviews created',
    ].join('\n'),
  );
  const again = await run(['apply', '-f', fx('reviews.yaml')]);
  assert.match(again.out, /^virtualservice\.networking\.istio\.io\/reviews unchanged$/m);
  const changed = await run(
    ['apply', '-f', '-'],
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews}\n',
  );
  assert.equal(changed.out, 'destinationrule.networking.istio.io/reviews configured');
});

test('one bad document among good ones: nothing is applied and every error names file and line', async () => {
  const { run } = cli();
  const r = await run([
    'apply',
    '-f',
    fx('reviews.yaml'),
    '-f',
    fx('one-bad-among-good.yaml'),
    '-f',
    fx('namespaced.yaml'),
  ]);
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, new RegExp(`${fx('one-bad-among-good.yaml')}:32:5: error: .*unknown field "timeoutt"`));
  assert.match(r.err, /did you mean "timeout"/);
  assert.match(r.err, new RegExp(`${fx('namespaced.yaml')}:5:\\d+: error: .*namespaces "prod" not found`));
  assert.match(r.err, /error: nothing was applied: 2 errors/);
  const get = await run(['get', 'vs,dr,svc']);
  assert.equal(get.err, 'No resources found in default namespace.');
});

test('seed 003: a second Deployment appv1 whose selector says v2 is refused as immutable', async () => {
  const { run } = cli();
  assert.equal((await run(['apply', '-f', fx('canary-v1.yaml')])).out, 'deployment.apps/appv1 created');
  const r = await run(['apply', '-f', fx('canary-v2-same-name.yaml')]);
  assert.equal(r.code, 1);
  const [first] = r.err.split('\n');
  assert.match(
    first!,
    new RegExp(
      `^${fx('canary-v2-same-name.yaml')}:10:3: error: Deployment default/appv1: spec\\.selector: field is immutable`,
    ),
  );
  assert.match(r.err, /selector cannot change/);
  assert.match(r.err, /A new name \(such as "appv2"\) was probably meant/);
  const wide = await run(['get', 'deploy', 'appv1', '-o', 'wide']);
  assert.match(wide.out, /app=v1,apply=canary/);
});

test('-n sets the default namespace; a document naming another one is an error', async () => {
  const { run } = cli();
  const mismatch = await run(['apply', '-f', fx('namespaced.yaml'), '-n', 'default']);
  assert.equal(mismatch.code, 1);
  assert.match(
    mismatch.err,
    /the namespace from the provided object "prod" does not match the namespace "default"/,
  );
  const ok = await run(['apply', '-f', fx('canary-v1.yaml'), '-n', 'istio-system']);
  assert.equal(ok.code, 0, ok.err);
  assert.match((await run(['get', 'deploy', '-n', 'istio-system'])).out, /^appv1 /m);
});

test('--dry-run reports without changing; usage errors exit 2', async () => {
  const { run } = cli();
  const dry = await run(['apply', '-f', fx('canary-v1.yaml'), '--dry-run=client']);
  assert.equal(dry.out, 'deployment.apps/appv1 created (dry run)');
  assert.equal((await run(['get', 'deploy'])).err, 'No resources found in default namespace.');
  assert.equal((await run(['apply'])).code, 2);
  assert.equal((await run(['apply', '-f', fx('canary-v1.yaml'), '--dry-run=maybe'])).code, 2);
});
