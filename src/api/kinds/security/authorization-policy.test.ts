// AuthorizationPolicy rules as Istio enforces them: actions and providers, sources, operations,
// conditions, target selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthorizationPolicy } from '../../index.ts';
import { invalid, loadFixture, valid, yaml } from '../core/testing.ts';

/** An AuthorizationPolicy whose spec (indented by two) starts at line 6. */
const ap = (spec: string) =>
  yaml`
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata:
      name: policy
    spec:
    ` + spec;

/** A policy with one rule whose body (indented by four, after "- ") starts at line 7. */
const rule = (body: string, action = 'ALLOW') => ap(`  rules:\n  - ${body.trimStart()}  action: ${action}\n`);

test('the task-shaped policies load with their fields as written', () => {
  const { resources, issues } = loadFixture(
    new URL('./fixtures/authorization-policies.yaml', import.meta.url),
  );
  assert.deepEqual(issues, []);
  const policies = resources as AuthorizationPolicy[];
  assert.deepEqual(
    policies.map((p) => p.spec.action ?? 'ALLOW'),
    ['ALLOW', 'ALLOW', 'ALLOW', 'DENY', 'CUSTOM', 'AUDIT'],
  );
  const reviews = policies[2]!;
  assert.deepEqual(reviews.spec.rules?.[0]?.from?.[0]?.source.principals, [
    'cluster.local/ns/default/sa/bookinfo-productpage',
  ]);
  assert.deepEqual(reviews.spec.rules?.[0]?.to?.[0]?.operation.ports, ['9080']);
  assert.equal(policies[4]?.spec.provider?.name, 'sample-ext-authz-grpc');
  assert.equal(policies[5]?.spec.targetRefs?.[0]?.name, 'httpbin');
});

test('action is one of ALLOW, DENY, AUDIT, CUSTOM', () => {
  invalid(ap('  action: REJECT\n  rules:\n  - {}\n'), {
    line: 6,
    path: 'spec.action',
    code: 'invalid-value',
  });
});

test('CUSTOM needs a provider, and a provider needs CUSTOM', () => {
  invalid(ap('  action: CUSTOM\n  rules:\n  - {}\n'), {
    line: 6,
    path: 'spec.provider',
    code: 'missing-field',
  });
  invalid(ap('  action: DENY\n  provider:\n    name: ext-authz\n  rules:\n  - {}\n'), {
    line: 8,
    path: 'spec.provider',
    code: 'conflicting-fields',
    message: /only allowed with action CUSTOM, not DENY/,
  });
  invalid(ap('  provider:\n    name: ext-authz\n'), {
    line: 7,
    path: 'spec.provider',
    code: 'conflicting-fields',
  });
});

test('CUSTOM and DENY policies need rules, since without them they never apply', () => {
  invalid(ap('  action: CUSTOM\n  provider:\n    name: ext-authz\n'), {
    line: 6,
    path: 'spec.action',
    code: 'missing-field',
    hint: /rules: \[\{\}\]/,
  });
  invalid(ap('  action: DENY\n'), { line: 6, path: 'spec.action', code: 'missing-field' });
  valid(ap('  action: DENY\n  rules:\n  - {}\n'));
});

test('CUSTOM rules cannot use identities Istio does not pass to the external authorizer', () => {
  invalid(
    ap(
      '  action: CUSTOM\n  provider:\n    name: ext\n  rules:\n  - from:\n    - source:\n        principals: ["a"]\n',
    ),
    { line: 12, path: 'spec.rules[0].from[0].source.principals', code: 'unsupported' },
  );
  invalid(
    ap(
      '  action: CUSTOM\n  provider:\n    name: ext\n  rules:\n  - when:\n    - key: request.auth.principal\n      values: ["a"]\n',
    ),
    { line: 11, path: 'spec.rules[0].when[0].key', code: 'unsupported' },
  );
});

test('a source sets at least one field, and from/to lists are not empty', () => {
  invalid(rule('from:\n    - source: {}\n'), {
    line: 8,
    path: 'spec.rules[0].from[0].source',
    code: 'missing-field',
  });
  invalid(rule('from: []\n'), {
    line: 7,
    path: 'spec.rules[0].from',
    code: 'invalid-value',
    message: /must not be empty/,
  });
  invalid(rule('to:\n    - {}\n'), { line: 8, path: 'spec.rules[0].to[0].operation', code: 'missing-field' });
  invalid(rule('to:\n    - operation: {}\n'), {
    line: 8,
    path: 'spec.rules[0].to[0].operation',
    code: 'missing-field',
  });
});

test('ipBlocks are IPs or CIDR ranges', () => {
  valid(rule('from:\n    - source:\n        ipBlocks: ["10.0.0.0/8", "::1", "1.2.3.4"]\n'));
  invalid(rule('from:\n    - source:\n        remoteIpBlocks: ["10.0.0.0/33"]\n'), {
    line: 9,
    path: 'spec.rules[0].from[0].source.remoteIpBlocks[0]',
    code: 'invalid-address',
    message: /prefix length must be 0 to 32/,
  });
  invalid(rule('from:\n    - source:\n        notIpBlocks: ["10.0.0"]\n'), {
    line: 9,
    path: 'spec.rules[0].from[0].source.notIpBlocks[0]',
    code: 'invalid-address',
  });
});

test('ports are numeric strings', () => {
  invalid(rule('to:\n    - operation:\n        ports: [8080]\n'), {
    line: 9,
    path: 'spec.rules[0].to[0].operation.ports[0]',
    code: 'invalid-type',
    message: /quote the number/,
  });
  invalid(rule('to:\n    - operation:\n        notPorts: ["http"]\n'), {
    line: 9,
    path: 'spec.rules[0].to[0].operation.notPorts[0]',
    code: 'invalid-port',
  });
});

test('values are never empty strings; path templates are of the supported forms', () => {
  invalid(rule('to:\n    - operation:\n        methods: [""]\n'), {
    line: 9,
    path: 'spec.rules[0].to[0].operation.methods[0]',
    code: 'invalid-value',
  });
  invalid(rule('to:\n    - operation:\n        paths: ["/{name}/{*}"]\n'), {
    line: 9,
    path: 'spec.rules[0].to[0].operation.paths[0]',
    code: 'invalid-path',
  });
});

test('serviceAccounts cannot be combined with principals or namespaces', () => {
  valid(rule('from:\n    - source:\n        serviceAccounts: ["default/sleep"]\n'));
  invalid(
    rule('from:\n    - source:\n        serviceAccounts: ["default/sleep"]\n        principals: ["x"]\n'),
    {
      line: 9,
      path: 'spec.rules[0].from[0].source.serviceAccounts',
      code: 'conflicting-fields',
    },
  );
});

test("when keys come from Istio's supported list and their values are checked", () => {
  for (const key of [
    'request.headers[user-agent]',
    'source.ip',
    'remote.ip',
    'source.namespace',
    'source.principal',
    'request.auth.principal',
    'request.auth.audiences',
    'request.auth.presenter',
    'request.auth.claims[iss]',
    'destination.ip',
    'destination.port',
    'connection.sni',
    'experimental.envoy.filters.network.mysql_proxy[db.table]',
  ]) {
    const value = key.endsWith('.ip') ? '10.0.0.1' : key === 'destination.port' ? '80' : 'x';
    valid(rule(`when:\n    - key: ${key}\n      values: ["${value}"]\n`));
  }
  invalid(rule('when:\n    - key: request.headers\n      values: ["x"]\n'), {
    line: 8,
    path: 'spec.rules[0].when[0].key',
    code: 'invalid-key',
    message: /request\.headers\[name\]/,
  });
  invalid(rule('when:\n    - key: request.header[x-user]\n      values: ["x"]\n'), {
    line: 8,
    path: 'spec.rules[0].when[0].key',
    code: 'invalid-key',
    hint: /did you mean "request\.headers\[x-user\]"/,
  });
  invalid(rule('when:\n    - key: source.principals\n      values: ["x"]\n'), {
    line: 8,
    path: 'spec.rules[0].when[0].key',
    code: 'invalid-key',
    hint: /did you mean "source\.principal"/,
  });
  invalid(rule('when:\n    - key: source.labels[app]\n      values: ["x"]\n'), {
    line: 8,
    path: 'spec.rules[0].when[0].key',
    code: 'invalid-key',
    hint: /supported keys/,
  });
  invalid(rule('when:\n    - key: destination.namespace\n      values: ["x"]\n'), {
    line: 8,
    path: 'spec.rules[0].when[0].key',
    code: 'invalid-key',
    message: /metadata\.namespace/,
  });
  invalid(rule('when:\n    - key: source.ip\n      values: ["10.0.0.1/40"]\n'), {
    line: 9,
    path: 'spec.rules[0].when[0].values[0]',
    code: 'invalid-value',
  });
  invalid(rule('when:\n    - key: destination.port\n      notValues: ["80a"]\n'), {
    line: 9,
    path: 'spec.rules[0].when[0].notValues[0]',
    code: 'invalid-value',
  });
  invalid(rule('when:\n    - key: source.namespace\n'), {
    line: 8,
    path: 'spec.rules[0].when[0]',
    code: 'missing-field',
    message: /needs values or notValues/,
  });
});

test('selector, targetRef and targetRefs are exclusive; targets are Services, ServiceEntries or Gateways', () => {
  invalid(ap('  selector:\n    matchLabels:\n      app: a\n  targetRef:\n    kind: Service\n    name: a\n'), {
    line: 10,
    path: 'spec.targetRef',
    code: 'conflicting-fields',
  });
  invalid(ap('  targetRefs:\n  - kind: Deployment\n    group: apps\n    name: a\n'), {
    line: 7,
    path: 'spec.targetRefs[0].kind',
    code: 'invalid-value',
  });
  invalid(ap('  targetRef:\n    kind: Service\n    name: a\n    namespace: other\n'), {
    line: 9,
    path: 'spec.targetRef.namespace',
    code: 'invalid-value',
  });
  valid(ap('  targetRef:\n    kind: Gateway\n    group: gateway.networking.k8s.io\n    name: ingress\n'));
});
