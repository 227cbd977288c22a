// Every core kind loads at its apiVersion, with its scope; Namespace, ServiceAccount and
// Endpoints rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinKinds } from '../../index.ts';
import type { Endpoints, Namespace, ServiceAccount } from '../../index.ts';
import { invalid, valid, yaml } from './testing.ts';

const MINIMAL: Record<string, string> = {
  Namespace: '',
  Service: 'spec:\n  ports:\n  - port: 80\n',
  ServiceAccount: '',
  Deployment:
    'spec:\n  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n      - name: a\n        image: a\n',
  Pod: 'spec:\n  containers:\n  - name: a\n    image: a\n',
  Endpoints: 'subsets:\n- addresses:\n  - ip: 10.0.0.1\n  ports:\n  - port: 80\n',
};
const API_VERSION: Record<string, string> = { Deployment: 'apps/v1' };

test('every core kind loads at its apiVersion; namespaced kinds get "default"', () => {
  for (const [kind, body] of Object.entries(MINIMAL)) {
    const [r] = valid(
      `apiVersion: ${API_VERSION[kind] ?? 'v1'}\nkind: ${kind}\nmetadata:\n  name: a\n${body}`,
    );
    assert.equal(r?.kind, kind);
    assert.equal(r?.metadata.namespace, kind === 'Namespace' ? undefined : 'default', kind);
  }
  for (const [name, kind] of [
    ['svc', 'Service'],
    ['deploy', 'Deployment'],
    ['sa', 'ServiceAccount'],
    ['ns', 'Namespace'],
    ['ep', 'Endpoints'],
    ['po', 'Pod'],
  ])
    assert.equal(builtinKinds().byName(name!)?.kind, kind);
});

test('a Deployment at an apiVersion Kubernetes no longer serves is refused', () => {
  invalid(`apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: a\n${MINIMAL.Deployment}`, {
    line: 1,
    path: 'apiVersion',
    code: 'unknown-api-version',
    hint: /apps\/v1/,
  });
});

test('Namespace is cluster-scoped and keeps its labels', () => {
  const [ns] = valid(yaml`
    apiVersion: v1
    kind: Namespace
    metadata:
      name: bookinfo
      labels:
        istio-injection: enabled
  `) as Namespace[];
  assert.deepEqual(ns?.metadata.labels, { 'istio-injection': 'enabled' });
  invalid(
    yaml`
      apiVersion: v1
      kind: Namespace
      metadata:
        name: bookinfo
        namespace: default
    `,
    { line: 5, path: 'metadata.namespace', code: 'cluster-scoped' },
  );
});

test('ServiceAccount takes its top-level fields and nothing else', () => {
  const [sa] = valid(yaml`
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: httpbin
    automountServiceAccountToken: false
    imagePullSecrets:
    - name: registry
  `) as ServiceAccount[];
  assert.equal(sa?.automountServiceAccountToken, false);
  invalid(
    yaml`
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: httpbin
      spec: {}
    `,
    { line: 5, path: 'spec', code: 'unknown-field' },
  );
});

test('Endpoints: addresses are IPs; ports are named when there are several', () => {
  const [ep] = valid(yaml`
    apiVersion: v1
    kind: Endpoints
    metadata:
      name: external-db
    subsets:
    - addresses:
      - ip: 192.168.1.10
      - ip: fd00::1
      ports:
      - name: sql
        port: 5432
      - name: metrics
        port: 9187
  `) as Endpoints[];
  assert.equal(ep?.subsets?.[0]?.addresses?.[1]?.ip, 'fd00::1');
  invalid(
    yaml`
      apiVersion: v1
      kind: Endpoints
      metadata:
        name: db
      subsets:
      - addresses:
        - ip: db.example.com
    `,
    { line: 7, path: 'subsets[0].addresses[0].ip', code: 'invalid-address' },
  );
  invalid(
    yaml`
      apiVersion: v1
      kind: Endpoints
      metadata:
        name: db
      subsets:
      - ports:
        - port: 5432
        - name: metrics
          port: 9187
    `,
    { line: 7, path: 'subsets[0].ports[0].name', code: 'missing-field' },
  );
});
