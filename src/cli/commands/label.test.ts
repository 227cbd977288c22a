import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cliInTempState, configFixture as fx } from '../testing.ts';

const cli = cliInTempState();
after(cli.cleanup);
const run = cli.run;

function injection(out: string, ns: string): string | undefined {
  const row = out.split('\n').find((l) => l.startsWith(`${ns} `));
  return row?.split(/\s+/)[3];
}

test('label namespace default istio-injection=enabled, as the seeds do', async () => {
  const r = await run(['label', 'namespace', 'default', 'istio-injection=enabled']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'namespace/default labeled');
  assert.equal(injection((await run(['get', 'ns', '-L', 'istio-injection'])).out, 'default'), 'enabled');
  assert.equal(
    (await run(['label', 'ns', 'default', 'istio-injection=enabled'])).out,
    'namespace/default not labeled',
  );
});

test('changing a value needs --overwrite; key- removes it', async () => {
  const refused = await run(['label', 'ns', 'default', 'istio-injection=disabled']);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.err,
    "error: 'istio-injection' already has a value (enabled), and --overwrite is false\n  hint: pass --overwrite to replace it",
  );
  assert.equal((await run(['label', 'ns', 'default', 'istio-injection=disabled', '--overwrite'])).code, 0);
  assert.equal(injection((await run(['get', 'ns', '-L', 'istio-injection'])).out, 'default'), 'disabled');
  const removed = await run(['label', 'ns', 'default', 'istio-injection-']);
  assert.equal(removed.out, 'namespace/default labeled');
  assert.equal(injection((await run(['get', 'ns', '-L', 'istio-injection'])).out, 'default'), undefined);
});

test('labels on namespaced objects, by selector; a label does not bump generation', async () => {
  assert.equal((await run(['apply', '-f', fx('reviews.yaml')])).code, 0);
  const r = await run(['label', 'svc', '-l', 'app=reviews', 'tier=backend']);
  assert.equal(r.out, 'service/reviews labeled');
  const yaml = (await run(['get', 'svc', 'reviews', '-o', 'json'])).out;
  const svc = JSON.parse(yaml) as { metadata: { labels: Record<string, string>; generation: number } };
  assert.equal(svc.metadata.labels.tier, 'backend');
  assert.equal(svc.metadata.generation, 1);
});

test('unknown objects are NotFound; bad arguments are usage errors', async () => {
  const missing = await run(['label', 'ns', 'nowhere', 'a=b']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Error from server (NotFound): namespaces "nowhere" not found');
  assert.equal((await run(['label', 'ns', 'default'])).code, 2);
  const bad = await run(['label', 'ns', 'default', 'bad key=x']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /invalid label/);
});
