import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFoundError } from '../errors/index.ts';
import { ApplyRejectedError, LabelConflictError } from './errors.ts';
import { readManifestFiles } from './manifest.ts';
import { MemoryStore } from './memory.ts';
import { parseSelector } from './selector.ts';
import type { StoreEvent } from './store.ts';
import { fixture, gatewayYaml, manifests } from './testing.ts';

const GW = { kind: 'Gateway', namespace: 'default', name: 'gw' };

test('a new store holds the namespaces a cluster starts with', () => {
  const store = new MemoryStore();
  assert.equal(store.revision, 1);
  assert.deepEqual(
    store.list({ kind: 'Namespace' }).map((n) => n.metadata.name),
    ['default', 'istio-system', 'kube-system'],
  );
});

test('apply creates, then reports unchanged, then configures with new versions', async () => {
  const store = new MemoryStore({ clock: () => new Date('2026-01-02T03:04:05.678Z') });
  const [created] = await store.apply(manifests(gatewayYaml('gw')));
  assert.equal(created!.action, 'created');
  const first = store.get(GW)!;
  assert.equal(first.metadata.resourceVersion, '2');
  assert.equal(first.metadata.generation, 1);
  assert.equal(first.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
  assert.match(first.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.ok(Object.isFrozen(first));

  const [same] = await store.apply(manifests(gatewayYaml('gw')));
  assert.equal(same!.action, 'unchanged');
  assert.equal(store.revision, 2, 'an unchanged apply commits nothing');

  await store.apply(manifests(gatewayYaml('gw', { host: 'bookinfo.example.com' })));
  const second = store.get(GW)!;
  assert.equal(second.metadata.resourceVersion, '3');
  assert.equal(second.metadata.generation, 2, 'a spec change bumps generation');
  assert.equal(second.metadata.uid, first.metadata.uid);
  assert.equal(second.metadata.creationTimestamp, first.metadata.creationTimestamp);

  await store.apply(manifests(gatewayYaml('gw', { host: 'bookinfo.example.com', labels: '{team: a}' })));
  const third = store.get(GW)!;
  assert.equal(third.metadata.resourceVersion, '4');
  assert.equal(third.metadata.generation, 2, 'a label change does not bump generation');
});

test('every change reaches listeners and watchers; unsubscribe stops them', async () => {
  const store = new MemoryStore();
  const seen: StoreEvent[] = [];
  const unsubscribe = store.subscribe((e) => seen.push(e));
  const controller = new AbortController();
  const iterated: string[] = [];
  const watching = (async () => {
    for await (const e of store.watch({ signal: controller.signal })) {
      iterated.push(`${e.type} ${e.resource.metadata.name} @${e.revision}`);
      if (e.type === 'deleted') break;
    }
  })();
  await store.apply(manifests(gatewayYaml('gw')));
  await store.apply(manifests(gatewayYaml('gw', { host: 'a.example.com' })));
  await store.delete([GW]);
  await watching;
  assert.deepEqual(iterated, ['created gw @2', 'updated gw @3', 'deleted gw @4']);
  assert.deepEqual(
    seen.map((e) => [e.type, e.previous?.metadata.resourceVersion, e.resource.metadata.resourceVersion]),
    [
      ['created', undefined, '2'],
      ['updated', '2', '3'],
      ['deleted', undefined, '3'],
    ],
  );
  unsubscribe();
  await store.apply(manifests(gatewayYaml('later')));
  assert.equal(seen.length, 3);
  controller.abort();
});

test('list filters by kind, namespace and label selector', async () => {
  const store = new MemoryStore();
  await store.apply(
    manifests(
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}',
        gatewayYaml('a', { labels: '{app: x, version: v1, env: a}' }),
        gatewayYaml('b', { labels: '{app: x, version: v2, env: b}' }),
        gatewayYaml('c', { labels: '{app: x, version: v2, env: c}', namespace: 'prod' }),
      ].join('\n---\n'),
    ),
  );
  const names = (q: Parameters<MemoryStore['list']>[0]) => store.list(q).map((r) => r.metadata.name);
  assert.deepEqual(names({ kind: 'Gateway' }), ['a', 'b', 'c']);
  assert.deepEqual(names({ kind: 'Gateway', namespace: 'prod' }), ['c']);
  assert.deepEqual(names({ kind: 'Gateway', selector: parseSelector('app=x,version!=v1,env in (a,b)') }), [
    'b',
  ]);
});

test('apply is all or nothing: one bad document among good ones changes nothing', async () => {
  const store = new MemoryStore();
  const set = readManifestFiles([fixture('one-bad-among-good.yaml')]);
  assert.equal(set.manifests.length, 3);
  assert.deepEqual(
    set.issues.map((i) => [i.line, i.path, i.code]),
    [[32, 'spec.http[0].timeoutt', 'unknown-field']],
  );
  // The store-level checks run over the good documents too; an unknown namespace is refused.
  const inMissingNamespace = manifests(gatewayYaml('x', { namespace: 'nowhere' }));
  await assert.rejects(store.apply([...set.manifests, ...inMissingNamespace]), (e: unknown) => {
    assert.ok(e instanceof ApplyRejectedError);
    assert.deepEqual(
      e.issues.map((i) => [i.code, i.message, i.line]),
      [['namespace-not-found', 'namespaces "nowhere" not found', 5]],
    );
    return true;
  });
  assert.equal(store.revision, 1);
  assert.equal(store.list({ kind: 'DestinationRule' }).length, 0);
});

test('a namespace created in the same apply may hold the other documents', async () => {
  const store = new MemoryStore();
  const out = await store.apply(
    manifests(
      gatewayYaml('x', { namespace: 'shop' }) +
        '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n',
    ),
  );
  assert.deepEqual(
    out.map((o) => o.action),
    ['created', 'created'],
  );
  assert.equal(store.revision, 2, 'one apply is one revision');
});

test('-n fills in the namespace; a document naming another one is refused', () => {
  const set = readManifestFiles([fixture('canary-v1.yaml')], { namespace: 'istio-system' });
  assert.equal(set.manifests[0]!.resource.metadata.namespace, 'istio-system');
  const unnamed = readManifestFiles([fixture('reviews.yaml')], { namespace: 'x' });
  assert.deepEqual(unnamed.issues, []);
  const own = manifests(gatewayYaml('g', { namespace: 'prod' }));
  assert.equal(own[0]!.resource.metadata.namespace, 'prod');
  const refused = readManifestFiles([fixture('namespaced.yaml')], { namespace: 'default' });
  assert.deepEqual(
    refused.issues.map((i) => [i.code, i.line, i.path]),
    [['namespace-mismatch', 5, 'metadata.namespace']],
  );
  assert.match(
    refused.issues[0]!.message,
    /namespace from the provided object "prod" does not match the namespace "default"/,
  );
});

test("a Deployment's selector is immutable: the seed's second appv1 is refused with a hint", async () => {
  const store = new MemoryStore();
  await store.apply(readManifestFiles([fixture('canary-v1.yaml')]).manifests);
  const before = store.get({ kind: 'Deployment', namespace: 'default', name: 'appv1' });
  await assert.rejects(
    store.apply(readManifestFiles([fixture('canary-v2-same-name.yaml')]).manifests),
    (e: unknown) => {
      assert.ok(e instanceof ApplyRejectedError);
      const [issue] = e.issues;
      assert.equal(e.issues.length, 1);
      assert.equal(issue!.code, 'immutable-field');
      assert.equal(issue!.path, 'spec.selector');
      assert.equal(issue!.file, fixture('canary-v2-same-name.yaml'));
      assert.equal(issue!.line, 10);
      assert.match(issue!.message, /field is immutable/);
      assert.match(issue!.message, /selector cannot change/);
      assert.match(issue!.message, /"appv2"/);
      return true;
    },
  );
  assert.equal(store.get({ kind: 'Deployment', namespace: 'default', name: 'appv1' }), before);
});

test('label: set, refuse a different value without --overwrite, overwrite, remove', async () => {
  const store = new MemoryStore();
  const ns = { kind: 'Namespace', name: 'default' };
  const generation = store.get(ns)!.metadata.generation;
  assert.deepEqual(await store.label([ns], { set: { 'istio-injection': 'enabled' }, remove: [] }), [
    { ref: ns, changed: true, absent: [] },
  ]);
  assert.equal(store.get(ns)!.metadata.labels['istio-injection'], 'enabled');
  assert.equal(store.get(ns)!.metadata.generation, generation);
  const [same] = await store.label([ns], { set: { 'istio-injection': 'enabled' }, remove: [] });
  assert.equal(same!.changed, false);
  await assert.rejects(
    store.label([ns], { set: { 'istio-injection': 'disabled' }, remove: [] }),
    (e: unknown) => e instanceof LabelConflictError && /already has a value \(enabled\)/.test(e.message),
  );
  await store.label([ns], { set: { 'istio-injection': 'disabled' }, remove: [] }, { overwrite: true });
  assert.equal(store.get(ns)!.metadata.labels['istio-injection'], 'disabled');
  const [removed] = await store.label([ns], { set: {}, remove: ['istio-injection', 'nope'] });
  assert.deepEqual(removed!.absent, ['nope']);
  assert.deepEqual(store.get(ns)!.metadata.labels, {});
  await assert.rejects(
    store.label([{ kind: 'Namespace', name: 'x' }], { set: { a: 'b' }, remove: [] }),
    (e: unknown) => e instanceof NotFoundError && e.message === 'namespaces "x" not found',
  );
  await assert.rejects(store.label([ns], { set: { 'bad key': 'b' }, remove: [] }), /invalid label/);
});

test('labels added by `label` survive a later apply of the manifest that omits them', async () => {
  const store = new MemoryStore();
  await store.apply(manifests(gatewayYaml('gw', { labels: '{app: gw, old: x}' })));
  await store.label([GW], { set: { extra: 'kept' }, remove: [] });
  await store.apply(manifests(gatewayYaml('gw', { labels: '{app: gw}' })));
  assert.deepEqual(store.get(GW)!.metadata.labels, { app: 'gw', extra: 'kept' });
});

test('delete reports missing objects, refuses default, and empties a deleted namespace', async () => {
  const store = new MemoryStore();
  await store.apply(
    manifests(
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n' +
        gatewayYaml('g', { namespace: 'shop' }),
    ),
  );
  const out = await store.delete([
    { kind: 'Namespace', name: 'shop' },
    { kind: 'Gateway', namespace: 'default', name: 'nope' },
    { kind: 'Namespace', name: 'default' },
  ]);
  assert.deepEqual(
    out.map((o) => [o.ref.name, o.result]),
    [
      ['nope', 'not-found'],
      ['shop', 'deleted'],
      ['default', 'forbidden'],
    ],
  );
  assert.deepEqual(out[1]!.alsoDeleted, [{ kind: 'Gateway', namespace: 'shop', name: 'g' }]);
  assert.equal(store.list({ kind: 'Gateway' }).length, 0);
  assert.ok(store.get({ kind: 'Namespace', name: 'default' }));
});

test('re-applying an object saved with its server fields (get -o yaml) leaves it unchanged', async () => {
  const store = new MemoryStore();
  await store.apply(manifests(gatewayYaml('gw', { labels: '{app: gw}' })));
  const saved = JSON.stringify(store.entry(GW)!.object);
  const [out] = await store.apply(manifests(saved));
  assert.equal(out!.action, 'unchanged');
  assert.equal(store.revision, 2);
});
