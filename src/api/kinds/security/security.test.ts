// security.istio.io kinds: every kind in v1 and v1beta1, the seeds' mTLS policies, and Istio's
// PeerAuthentication and RequestAuthentication rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AuthorizationPolicy,
  PeerAuthentication,
  RequestAuthentication,
  Resource,
} from '../../index.ts';
import { invalid, loadFixture, valid, yaml } from '../core/testing.ts';

function fixture(name: string): readonly Resource[] {
  const { resources, issues } = loadFixture(new URL(`./fixtures/${name}`, import.meta.url));
  assert.deepEqual(issues, []);
  return resources;
}

test('every security kind loads at v1 and v1beta1 and is normalised to v1', () => {
  for (const kind of ['PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'])
    for (const version of ['v1', 'v1beta1']) {
      const [r] = valid(
        `apiVersion: security.istio.io/${version}\nkind: ${kind}\nmetadata:\n  name: a\nspec: {}\n`,
      );
      assert.equal(r?.apiVersion, 'security.istio.io/v1');
      assert.equal(r?.source?.apiVersion, `security.istio.io/${version}`);
    }
  invalid(
    'apiVersion: security.istio.io/v1alpha1\nkind: PeerAuthentication\nmetadata:\n  name: a\nspec: {}\n',
    {
      line: 1,
      path: 'apiVersion',
      code: 'unknown-api-version',
    },
  );
});

test('an absent spec stands for an empty one (an AuthorizationPolicy that allows nothing)', () => {
  const [ap] = valid(
    'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-nothing\n',
  ) as AuthorizationPolicy[];
  assert.deepEqual(ap?.spec, {});
});

test("the seeds' STRICT PeerAuthentications: mesh-wide in istio-system and namespace default", () => {
  const [mesh] = fixture('mtls-strict.yaml') as PeerAuthentication[];
  assert.equal(mesh?.metadata.namespace, 'istio-system');
  assert.equal(mesh?.spec.mtls?.mode, 'STRICT');
  const [ns] = fixture('peer-authentication-default.yaml') as PeerAuthentication[];
  assert.equal(ns?.metadata.namespace, 'default');
  assert.deepEqual(ns?.spec, { mtls: { mode: 'STRICT' } });
});

const pa = (spec: string) =>
  yaml`
    apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata:
      name: default
    spec:
    ` + spec;

test('PeerAuthentication mode is one of UNSET, DISABLE, PERMISSIVE, STRICT', () => {
  for (const mode of ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']) valid(pa(`  mtls:\n    mode: ${mode}\n`));
  invalid(pa('  mtls:\n    mode: strict\n'), {
    line: 7,
    path: 'spec.mtls.mode',
    code: 'invalid-value',
    hint: /did you mean "STRICT"/,
  });
});

test('portLevelMtls is keyed by port number and needs a selector', () => {
  const [p] = valid(
    pa(
      '  selector:\n    matchLabels:\n      app: httpbin\n  mtls:\n    mode: STRICT\n  portLevelMtls:\n    8080:\n      mode: DISABLE\n',
    ),
  ) as PeerAuthentication[];
  assert.equal(p?.spec.portLevelMtls?.['8080']?.mode, 'DISABLE');
  invalid(pa('  mtls:\n    mode: STRICT\n  portLevelMtls:\n    8080:\n      mode: DISABLE\n'), {
    line: 9,
    path: 'spec.portLevelMtls',
    code: 'missing-field',
    message: /requires a selector/,
  });
  invalid(
    pa(
      '  selector:\n    matchLabels:\n      app: httpbin\n  portLevelMtls:\n    http:\n      mode: DISABLE\n',
    ),
    {
      line: 11,
      path: 'spec.portLevelMtls.http',
      code: 'invalid-port',
    },
  );
  invalid(pa('  selector:\n    matchLabels:\n      app: httpbin\n  portLevelMtls: {}\n'), {
    line: 9,
    path: 'spec.portLevelMtls',
    code: 'missing-field',
  });
});

test('selectors take plain labels: no wildcards', () => {
  invalid(pa('  selector:\n    matchLabels:\n      app: "*"\n'), {
    line: 8,
    path: 'spec.selector.matchLabels.app',
    code: 'invalid-label',
  });
});

const ra = (rules: string) =>
  yaml`
    apiVersion: security.istio.io/v1
    kind: RequestAuthentication
    metadata:
      name: jwt
    spec:
      jwtRules:
    ` + rules;

test('RequestAuthentication: the full JWT rule loads, with its timeout in milliseconds', () => {
  const [jwt, inline] = fixture('request-authentications.yaml') as RequestAuthentication[];
  const rule = jwt?.spec.jwtRules?.[0];
  assert.equal(rule?.issuer, 'testing@secure.istio.io');
  assert.equal(rule?.timeout, 5000);
  assert.deepEqual(rule?.fromHeaders, [{ name: 'x-jwt-assertion', prefix: 'Bearer ' }]);
  assert.deepEqual(rule?.outputClaimToHeaders, [{ header: 'x-jwt-group', claim: 'group' }]);
  assert.match(inline?.spec.jwtRules?.[0]?.jwks ?? '', /"kty":"oct"/);
  const [alias] = valid(
    ra('  - issuer: a\n    jwks_uri: https://example.com/jwks.json\n'),
  ) as RequestAuthentication[];
  assert.equal(alias?.spec.jwtRules?.[0]?.jwksUri, 'https://example.com/jwks.json');
});

test('JWT rules: issuer required, keys from http(s) or valid inline JSON, one source only', () => {
  invalid(ra('  - jwksUri: https://example.com/jwks.json\n'), {
    line: 7,
    path: 'spec.jwtRules[0].issuer',
    code: 'missing-field',
    message: /issuer is required/,
  });
  invalid(ra('  - issuer: a\n    jwksUri: ftp://example.com/jwks.json\n'), {
    line: 8,
    path: 'spec.jwtRules[0].jwksUri',
    code: 'invalid-value',
    message: /http:\/\/ or https:\/\//,
  });
  invalid(ra("  - issuer: a\n    jwks: '{keys: []}'\n"), {
    line: 8,
    path: 'spec.jwtRules[0].jwks',
    code: 'invalid-value',
    message: /not valid JSON/,
  });
  invalid(ra('  - issuer: a\n    jwksUri: https://example.com/k\n    jwks: \'{"keys": []}\'\n'), {
    line: 9,
    path: 'spec.jwtRules[0].jwks',
    code: 'conflicting-fields',
  });
});

test('JWT rules: header names, empty locations and the timeout are checked', () => {
  invalid(ra('  - issuer: a\n    outputClaimToHeaders:\n    - header: "x jwt"\n      claim: sub\n'), {
    line: 9,
    path: 'spec.jwtRules[0].outputClaimToHeaders[0].header',
    code: 'invalid-value',
  });
  invalid(ra('  - issuer: a\n    fromParams: [""]\n'), {
    line: 8,
    path: 'spec.jwtRules[0].fromParams[0]',
    code: 'invalid-value',
  });
  invalid(ra('  - issuer: a\n    timeout: 5\n'), {
    line: 8,
    path: 'spec.jwtRules[0].timeout',
    code: 'invalid-type',
  });
  invalid(ra('  - issuer: a\n    timeout: 0.5ms\n'), {
    line: 8,
    path: 'spec.jwtRules[0].timeout',
    code: 'invalid-duration',
  });
});
