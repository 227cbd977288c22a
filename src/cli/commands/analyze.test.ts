import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../index.ts';
import type { Io } from '../index.ts';

const fixtures = fileURLToPath(new URL('../../api/analyze/fixtures/', import.meta.url));
const fx = (name: string) => join(fixtures, name);
const BOOKINFO = [
  'bookinfo/bookinfo.yaml',
  'bookinfo/bookinfo-gateway.yaml',
  'bookinfo/destination-rule-all.yaml',
  'bookinfo/virtual-service-all-v1.yaml',
].flatMap((f) => ['-f', fx(f)]);

let stateDir: string;
before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'caravel-analyze-'));
});
after(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

async function run(argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdin: () => stdin,
    env: {},
    cwd: process.cwd(),
  };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('clean files: the istioctl success line and exit 0', async () => {
  const r = await run(['analyze', ...BOOKINFO, '-f', fx('bookinfo/virtual-service-reviews-50-v3.yaml')]);
  assert.equal(r.out, '✔ No validation issues found when analyzing namespace: default.');
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
});

test('errors: one line per message, a closing error, exit 1', async () => {
  const r = await run(['analyze', ...BOOKINFO, '-f', fx('broken/subset-not-found.yaml')]);
  const file = fx('broken/subset-not-found.yaml');
  assert.equal(
    r.out,
    [
      `Error [IST0101] (VirtualService default/reviews ${file}:13) Referenced host+subset in destinationrule not found: "reviews+v4"`,
      `Error [IST0101] (VirtualService default/reviews ${file}:21) Referenced mirror+subset in destinationrule not found: "ratings+v9"`,
    ].join('\n'),
  );
  assert.equal(r.err, 'error: analyzers found issues when analyzing namespace: default.');
  assert.equal(r.code, 1);
});

test('warnings and info alone print but exit 0', async () => {
  const r = await run(['analyze', ...BOOKINFO, '-f', fx('broken/weights.yaml')]);
  assert.match(r.out, /^Warning \[CVL1001\] /m);
  assert.match(r.out, /^Warning \[CVL1002\] /m);
  assert.equal(r.code, 0);
});

test('a file that fails validation is IST0106 with its line, and the rest is still analysed', async () => {
  const text = [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata:',
    '  name: nginx-vs',
    'spec:',
    '  hosts:',
    '  - nginx-svc',
    '  http:',
    '  - route:',
    '    timeout: 2s',
    '    - destination:',
    '        host: nginx-svc',
  ].join('\n');
  const r = await run(['analyze', '-f', '-', ...BOOKINFO, '-f', fx('broken/gateway-selector.yaml')], text);
  const lines = r.out.split('\n');
  assert.match(
    lines[0]!,
    /^Error \[IST0106\] \(<stdin>:11\) Schema validation error: .*line 10, "timeout: 2s"/,
  );
  assert.match(lines[1]!, /^Error \[IST0101\] \(Gateway default\/typo-gateway .*gateway-selector\.yaml:8\)/);
  assert.equal(r.code, 1);
});

test('-o json prints the messages as a JSON list', async () => {
  const r = await run(['analyze', ...BOOKINFO, '-f', fx('broken/gateway-selector.yaml'), '-o', 'json']);
  const json = JSON.parse(r.out) as { code: string; level: string; line: number; origin: string }[];
  assert.equal(json.length, 1);
  assert.equal(json[0]!.code, 'IST0101');
  assert.equal(json[0]!.level, 'Error');
  assert.equal(json[0]!.line, 8);
  assert.equal(r.err, '');
  assert.equal(r.code, 1);
  const clean = await run(['analyze', ...BOOKINFO, '-o', 'json']);
  assert.deepEqual(JSON.parse(clean.out), []);
  assert.equal(clean.code, 0);
});

test('-n reports on one namespace, -A on all', async () => {
  const args = ['analyze', ...BOOKINFO, '-f', fx('broken/peer-authentication.yaml')];
  const inSystem = await run([...args, '-n', 'istio-system']);
  assert.match(inSystem.out, /^Warning \[CVL1006\] \(PeerAuthentication istio-system\/permissive /);
  assert.equal(inSystem.out.split('\n').length, 1);
  const all = await run([...args, '-A']);
  assert.equal(all.out.split('\n').length, 3);
  const clean = await run(['analyze', ...BOOKINFO, '-A']);
  assert.equal(clean.out, '✔ No validation issues found when analyzing all namespaces.');
});

test('without -f, the configuration applied to the state directory is analysed', async () => {
  const dir = ['--state-dir', stateDir];
  assert.equal((await run(['apply', ...BOOKINFO, ...dir])).code, 0);
  // The store's default namespace is not labelled for injection yet: info only, exit 0.
  const unlabelled = await run(['analyze', ...dir]);
  assert.match(unlabelled.out, /^Info \[IST0102\] \(Namespace default\) The namespace is not enabled/);
  assert.equal(unlabelled.code, 0);
  const labelled = await run(['label', 'namespace', 'default', 'istio-injection=enabled', ...dir]);
  assert.equal(labelled.code, 0, labelled.err);
  const clean = await run(['analyze', ...dir]);
  assert.equal(clean.out, '✔ No validation issues found when analyzing namespace: default.');
  assert.equal(clean.code, 0);

  const applied = await run(['apply', '-f', fx('broken/subset-not-found.yaml'), ...dir]);
  assert.equal(applied.code, 0, applied.err);
  const broken = await run(['analyze', ...dir]);
  assert.match(
    broken.out,
    /^Error \[IST0101\] \(VirtualService default\/reviews .*subset-not-found\.yaml:\d+\) .*"reviews\+v4"$/m,
  );
  assert.equal(broken.code, 1);
});

test('--list-analyzers names every analyzer and message code', async () => {
  const r = await run(['analyze', '--list-analyzers']);
  assert.match(r.out, /virtualservice\.DestinationRuleAnalyzer/);
  assert.match(r.out, /IST0101 {2}Error {4}ReferencedResourceNotFound/);
  assert.match(r.out, /CVL1001 {2}Warning {2}RouteWeightsNotHundred/);
  assert.equal(r.code, 0);
});

test('bad flags are usage errors (exit 2)', async () => {
  assert.equal((await run(['analyze', '-n', 'x', '-A', ...BOOKINFO])).code, 2);
  assert.equal((await run(['analyze', '-o', 'yaml', ...BOOKINFO])).code, 2);
  assert.equal((await run(['analyze', '--state-dir', stateDir, ...BOOKINFO])).code, 2);
});
