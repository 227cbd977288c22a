// Every networking kind is served at v1, v1beta1 and v1alpha3 and normalised to v1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinKinds, loadTexts } from '../../index.ts';

const SPECS: Record<string, string> = {
  Gateway: 'servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]',
  VirtualService: 'hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]',
  DestinationRule: 'host: reviews',
  ServiceEntry:
    'hosts: [api.example.com]\n  ports: [{number: 443, name: tls, protocol: TLS}]\n  resolution: DNS',
  Sidecar: 'egress: [{hosts: ["./*"]}]',
  WorkloadEntry: 'address: 10.0.0.1',
  WorkloadGroup: 'template: {ports: {http: 9080}}',
};

for (const [kind, spec] of Object.entries(SPECS)) {
  for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
    test(`${kind} loads at networking.istio.io/${version}`, () => {
      const text = `apiVersion: networking.istio.io/${version}\nkind: ${kind}\nmetadata:\n  name: x\nspec:\n  ${spec}\n`;
      const r = loadTexts([{ file: 'k.yaml', text }]);
      assert.deepEqual(r.issues, []);
      assert.equal(r.resources[0]?.apiVersion, 'networking.istio.io/v1');
      assert.equal(r.resources[0]?.kind, kind);
      assert.equal(r.resources[0]?.source?.apiVersion, `networking.istio.io/${version}`);
    });
  }
}

test('every networking kind is registered with its short names', () => {
  const kinds = builtinKinds();
  for (const [name, kind] of [
    ['vs', 'VirtualService'],
    ['dr', 'DestinationRule'],
    ['gw', 'Gateway'],
    ['se', 'ServiceEntry'],
    ['sidecars', 'Sidecar'],
    ['we', 'WorkloadEntry'],
    ['workloadgroups.networking.istio.io', 'WorkloadGroup'],
  ] as const) {
    assert.equal(kinds.byName(name)?.kind, kind, name);
  }
});

test('an unserved version is refused', () => {
  const text =
    'apiVersion: networking.istio.io/v2\nkind: Sidecar\nmetadata:\n  name: x\nspec:\n  egress: [{hosts: ["./*"]}]\n';
  const r = loadTexts([{ file: 'k.yaml', text }]);
  assert.equal(r.resources.length, 0);
  assert.equal(r.issues[0]?.code, 'unknown-api-version');
  assert.equal(r.issues[0]?.line, 1);
});

test('spec is required', () => {
  const r = loadTexts([
    {
      file: 'k.yaml',
      text: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: x\n',
    },
  ]);
  assert.equal(r.issues[0]?.path, 'spec');
  assert.equal(r.issues[0]?.code, 'missing-field');
});
