import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { cliInTempState, configFixture as fx } from '../testing.ts';

const cli = cliInTempState();
const run = cli.run;
after(cli.cleanup);
before(async () => {
  const r = await run(['apply', '-f', fx('reviews.yaml'), '-f', fx('canary-v1.yaml')]);
  assert.equal(r.code, 0, r.err);
  const ns = await run(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n');
  assert.equal(ns.code, 0, ns.err);
  assert.equal((await run(['apply', '-f', fx('namespaced.yaml')])).code, 0);
});

const AGE = '\\d+s';

test('get vs,dr prints one table per type with the Istio columns and type-prefixed names', async () => {
  const r = await run(['get', 'vs,dr']);
  assert.equal(r.code, 0);
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^NAME\s+GATEWAYS\s+HOSTS\s+AGE$/);
  assert.match(
    lines[1]!,
    new RegExp(
      `^virtualservice\\.networking\\.istio\\.io/reviews\\s+\\["bookinfo-gateway"\\]\\s+\\["reviews"\\]\\s+${AGE}$`,
    ),
  );
  assert.equal(lines[2], '');
  assert.match(lines[3]!, /^NAME\s+HOST\s+AGE$/);
  assert.match(
    lines[4]!,
    new RegExp(`^destinationrule\\.networking\\.istio\\.io/reviews\\s+reviews\\s+${AGE}$`),
  );
});

test('columns are aligned like kubectl: padded to the widest cell plus three spaces', async () => {
  const r = await run(['get', 'svc']);
  const [header, row] = r.out.split('\n');
  assert.equal(header, 'NAME      TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)    AGE');
  assert.match(row!, new RegExp(`^reviews   ClusterIP   <none>       <none>        9080/TCP   ${AGE}$`));
});

test('deployments, wide output and label columns', async () => {
  const deploy = await run(['get', 'deployments']);
  assert.match(deploy.out, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nappv1\s+0\/1\s+0\s+0\s+\d+s$/);
  const wide = await run(['get', 'svc', '-o', 'wide']);
  assert.match(wide.out, /SELECTOR\n.*app=reviews$/);
  const ns = await run(['get', 'ns', '-L', 'istio-injection']);
  assert.match(ns.out.split('\n')[0]!, /^NAME\s+STATUS\s+AGE\s+ISTIO-INJECTION$/);
  assert.deepEqual(
    ns.out
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]),
    ['default', 'istio-system', 'kube-system', 'prod'],
  );
  const labels = await run(['get', 'svc', '--show-labels']);
  assert.match(labels.out, /LABELS\n.*app=reviews,service=reviews$/);
});

test('namespaces, -A and -l', async () => {
  assert.equal((await run(['get', 'gw', '-n', 'prod'])).out.split('\n')[1]?.split(/\s+/)[0], 'prod-gateway');
  const all = await run(['get', 'gateways', '-A']);
  assert.match(
    all.out,
    /^NAMESPACE\s+NAME\s+AGE\ndefault\s+bookinfo-gateway\s+\S+\nprod\s+prod-gateway\s+\S+$/,
  );
  const selected = await run(['get', 'svc,deploy', '-l', 'app in (reviews,v1)', '-o', 'name']);
  assert.equal(selected.out, 'service/reviews\ndeployment.apps/appv1');
  const none = await run(['get', 'svc', '-l', 'app=nothing']);
  assert.equal(none.err, 'No resources found in default namespace.');
  assert.equal(none.code, 0);
});

test('-o yaml prints the object as applied, with server metadata; several objects as a List', async () => {
  const one = parse((await run(['get', 'vs', 'reviews', '-o', 'yaml'])).out) as {
    apiVersion: string;
    metadata: { namespace: string; generation: number; resourceVersion: string };
    spec: { hosts: string[] };
  };
  assert.equal(one.apiVersion, 'networking.istio.io/v1');
  assert.equal(one.metadata.namespace, 'default');
  assert.equal(one.metadata.generation, 1);
  assert.match(one.metadata.resourceVersion, /^\d+$/);
  assert.deepEqual(one.spec.hosts, ['reviews']);
  const list = JSON.parse((await run(['get', 'vs/reviews', 'dr/reviews', '-o', 'json'])).out);
  assert.equal(list.kind, 'List');
  assert.deepEqual(
    list.items.map((i: { kind: string }) => i.kind),
    ['VirtualService', 'DestinationRule'],
  );
});

test('a missing name is NotFound as kubectl says it; an unknown type is an error', async () => {
  const r = await run(['get', 'vs', 'nope']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'Error from server (NotFound): virtualservices.networking.istio.io "nope" not found');
  const t = await run(['get', 'frobs']);
  assert.equal(t.code, 1);
  assert.match(t.err, /the server doesn't have a resource type "frobs"/);
});
