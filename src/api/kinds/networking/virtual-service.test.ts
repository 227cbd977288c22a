import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualService } from './index.ts';
import { expectIssue, expectValid, load, ruleTests } from './fixtures/check.ts';
import type { RuleCase } from './fixtures/check.ts';

// A valid route the cases below vary.
const route = (extra = '', dest = '') => `
hosts: [reviews]
http:
- route:
  - destination:
      host: reviews
${dest}${extra}`;

const cases: RuleCase[] = [
  {
    rule: 'redirect and route are exclusive',
    good: `
hosts: [reviews]
http:
- redirect: {uri: /v2}`,
    bad: `
${route()}
  redirect: {uri: /v2} # <-`,
    path: 'spec.http[0].redirect',
    code: 'conflicting-fields',
  },
  {
    rule: 'directResponse and route are exclusive',
    good: `
hosts: [reviews]
http:
- directResponse: {status: 404, body: {string: "not here"}}`,
    bad: `
${route()}
  directResponse: {status: 404} # <-`,
    path: 'spec.http[0].directResponse',
    code: 'conflicting-fields',
  },
  {
    rule: 'a delegating route has no destinations',
    good: `
hosts: [reviews]
http:
- delegate: {name: reviews-routes, namespace: team}`,
    bad: `
hosts: [reviews]
http:
- delegate: {name: reviews-routes}
  route:
  - destination: {host: reviews} # <-`,
    path: 'spec.http[0].route',
    code: 'conflicting-fields',
  },
  {
    rule: 'mirror and mirrors are exclusive',
    good: route('  mirrors: [{destination: {host: reviews-shadow}, percentage: {value: 10}}]\n'),
    bad: route('  mirror: {host: a}\n  mirrors: [{destination: {host: b}}] # <-\n'),
    path: 'spec.http[0].mirrors',
    code: 'conflicting-fields',
  },
  {
    rule: 'weights are whole numbers ≥ 0',
    good: route('', '    weight: 0\n  - destination: {host: reviews, subset: v2}\n    weight: 100\n'),
    bad: route('', '    weight: -5 # <-\n'),
    path: 'spec.http[0].route[0].weight',
    code: 'invalid-value',
    message: /weight must be at least 0/,
  },
  {
    rule: 'several destinations need some weight',
    good: route('', '    weight: 90\n  - destination: {host: reviews, subset: v2}\n    weight: 10\n'),
    bad: `
hosts: [reviews]
http:
- route:
  - destination: {host: reviews, subset: v1} # <-
    weight: 0
  - destination: {host: reviews, subset: v2}
    weight: 0`,
    path: 'spec.http[0].route',
    code: 'invalid-weight',
  },
  {
    rule: 'regex matches are RE2',
    good: `
hosts: [reviews]
http:
- match:
  - uri: {regex: "^/reviews/[0-9]+$"}
  route: [{destination: {host: reviews}}]`,
    bad: `
hosts: [reviews]
http:
- match:
  - uri: {regex: "^/(?!admin)"} # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].uri.regex',
    code: 'invalid-regex',
    message: /not a valid RE2 regular expression/,
  },
  {
    rule: 'header names in matches are HTTP tokens',
    good: `
hosts: [reviews]
http:
- match:
  - headers: {End-User: {exact: jason}, ":authority": {prefix: rev}}
  route: [{destination: {host: reviews}}]`,
    bad: `
hosts: [reviews]
http:
- match:
  - headers: {"end user": {exact: jason}} # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].headers["end user"]',
    code: 'invalid-header',
  },
  {
    rule: 'a string match has exactly one of exact, prefix, regex',
    good: `
hosts: [reviews]
http:
- match: [{uri: {prefix: ""}}, {method: {exact: GET}}]
  route: [{destination: {host: reviews}}]`,
    bad: `
hosts: [reviews]
http:
- match:
  - uri:
      exact: /a
      prefix: /b # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].uri.prefix',
    code: 'conflicting-fields',
  },
  {
    rule: 'only a URI match may have an empty prefix',
    good: `
hosts: [reviews]
http:
- match: [{authority: {prefix: rev}}]
  route: [{destination: {host: reviews}}]`,
    bad: `
hosts: [reviews]
http:
- match:
  - authority:
      prefix: "" # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].authority.prefix',
    code: 'invalid-value',
  },
  {
    rule: 'match ports are port numbers',
    good: route().replace('- route:', '- match: [{port: 9080}]\n  route:'),
    bad: `
hosts: [reviews]
http:
- match:
  - port: 70000 # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].port',
    code: 'invalid-value',
  },
  {
    rule: 'sourceNamespace is a namespace name',
    good: route().replace('- route:', '- match: [{sourceNamespace: bookinfo}]\n  route:'),
    bad: `
hosts: [reviews]
http:
- match:
  - sourceNamespace: Book_Info # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].sourceNamespace',
    code: 'invalid-name',
  },
  {
    rule: 'a destination host is a host name, not "*"',
    good: route().replace('host: reviews', 'host: reviews.default.svc.cluster.local'),
    bad: `
hosts: [reviews]
http:
- route:
  - destination:
      host: "*" # <-`,
    path: 'spec.http[0].route[0].destination.host',
    code: 'invalid-host',
  },
  {
    rule: 'subset names are DNS labels',
    good: route('', '      subset: v2-canary\n'),
    bad: route('', '      subset: V2_canary # <-\n'),
    path: 'spec.http[0].route[0].destination.subset',
    code: 'invalid-name',
  },
  {
    rule: 'destination ports are port numbers',
    good: route('', '      port: {number: 9080}\n'),
    bad: route('', '      port:\n        number: 0 # <-\n'),
    path: 'spec.http[0].route[0].destination.port.number',
    code: 'invalid-value',
  },
  {
    rule: 'hosts are DNS names with "*" only as the leftmost label',
    good: route().replace('hosts: [reviews]', 'hosts: ["*.bookinfo.com", reviews, 10.0.0.1]'),
    bad: `
hosts:
- reviews.*.com # <-
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.hosts[0]',
    code: 'invalid-host',
    message: /leftmost label/,
  },
  {
    rule: 'host names are lower case',
    good: route(),
    bad: `
hosts:
- Reviews # <-
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.hosts[0]',
    code: 'invalid-host',
    message: /lower case/,
  },
  {
    rule: 'the "*" host needs a gateway',
    good: route().replace('hosts: [reviews]', 'hosts: ["*"]\ngateways: [istio-system/ingress]'),
    bad: `
hosts:
- "*" # <-
gateways: [mesh]
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.hosts[0]',
    code: 'invalid-host',
    message: /only allowed on VirtualServices bound to gateways/,
  },
  {
    rule: 'hosts do not overlap',
    good: route().replace('hosts: [reviews]', 'hosts: ["*.a.com", b.com]'),
    bad: `
hosts:
- "*.a.com"
- b.a.com # <-
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.hosts[1]',
    code: 'duplicate-host',
  },
  {
    rule: 'gateway names are "name" or "namespace/name"',
    good: route().replace(
      'hosts: [reviews]',
      'hosts: [reviews]\ngateways: [mesh, bookinfo-gateway, istio-system/ingress]',
    ),
    bad: `
hosts: [reviews]
gateways:
- istio-system/Ingress_GW # <-
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.gateways[0]',
    code: 'invalid-name',
  },
  {
    rule: 'a VirtualService needs routes',
    good: route(),
    bad: `
hosts: [reviews]
http: [] # <-`,
    path: 'spec.http',
    code: 'missing-field',
  },
  {
    rule: 'a delegate VirtualService names no gateways',
    good: `
http:
- route: [{destination: {host: reviews}}]`,
    bad: `
gateways: [ingress] # <-
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.gateways',
    code: 'conflicting-fields',
  },
  {
    rule: 'JWT claim routing needs a gateway',
    good: `
hosts: [reviews.example.com]
gateways: [ingress]
http:
- match: [{headers: {"@request.auth.claims.group": {exact: admin}}}]
  route: [{destination: {host: reviews}}]`,
    bad: `
hosts: [reviews]
http:
- match:
  - headers: {"@request.auth.claims.group": {exact: admin}} # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].headers["@request.auth.claims.group"]',
    code: 'invalid-header',
  },
  {
    rule: 'TLS routes match SNI hosts of the VirtualService',
    good: `
hosts: ["*.example.com"]
gateways: [egress]
tls:
- match: [{sniHosts: [api.example.com], port: 443}]
  route: [{destination: {host: api.example.com, port: {number: 443}}}]`,
    bad: `
hosts: ["*.example.com"]
gateways: [egress]
tls:
- match:
  - sniHosts:
    - api.other.com # <-
  route: [{destination: {host: api.example.com}}]`,
    path: 'spec.tls[0].match[0].sniHosts[0]',
    code: 'invalid-host',
  },
  {
    rule: 'TCP matches use IP subnets',
    good: `
hosts: [mongo]
tcp:
- match: [{port: 27017, destinationSubnets: [10.0.0.0/8, 192.168.1.1]}]
  route: [{destination: {host: mongo}, weight: 100}]`,
    bad: `
hosts: [mongo]
tcp:
- match:
  - destinationSubnets:
    - 10.0.0.0/40 # <-
  route: [{destination: {host: mongo}}]`,
    path: 'spec.tcp[0].match[0].destinationSubnets[0]',
    code: 'invalid-address',
  },
  {
    rule: 'exportTo lists namespaces once, "*" alone',
    good: route('').replace('hosts: [reviews]', 'hosts: [reviews]\nexportTo: [".", istio-system]'),
    bad: `
hosts: [reviews]
exportTo:
- "*"
- "*" # <-
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.exportTo[1]',
    code: 'duplicate-name',
  },
  {
    rule: 'unknown fields are refused with a suggestion',
    good: route('  timeout: 3s\n'),
    bad: route('  timout: 3s # <-\n'),
    path: 'spec.http[0].timout',
    code: 'unknown-field',
  },
  {
    rule: 'withoutHeaders regex "*" means present',
    good: route().replace('- route:', '- match: [{withoutHeaders: {x-canary: {regex: "*"}}}]\n  route:'),
    bad: `
hosts: [reviews]
http:
- match:
  - headers: {x-canary: {regex: "*"}} # <-
  route: [{destination: {host: reviews}}]`,
    path: 'spec.http[0].match[0].headers.x-canary.regex',
    code: 'invalid-regex',
  },
  {
    rule: 'a delegate VirtualService has no tcp routes',
    good: `
http:
- route: [{destination: {host: reviews}}]`,
    bad: `
tcp:
- route: # <-
  - destination: {host: reviews}`,
    path: 'spec.tcp',
    code: 'conflicting-fields',
  },
  {
    rule: 'a delegate VirtualService does not delegate again',
    good: `
hosts: [reviews]
http:
- delegate: {name: next}`,
    bad: `
http:
- delegate:
    name: next # <-`,
    path: 'spec.http[0].delegate',
    code: 'conflicting-fields',
  },
  {
    rule: 'TLS routes have matches',
    good: `
hosts: [a.example.com]
tls:
- match: [{sniHosts: [a.example.com]}]
  route: [{destination: {host: a.example.com}}]`,
    bad: `
hosts: [a.example.com]
tls:
- match: [] # <-
  route: [{destination: {host: a.example.com}}]`,
    path: 'spec.tls[0].match',
    code: 'invalid-value',
  },
  {
    rule: 'gateway-generated SNI names are accepted on gateways',
    good: `
hosts: [outbound_.9080_._.reviews.default.svc.cluster.local]
gateways: [cross-network]
tls:
- match: [{sniHosts: [outbound_.9080_._.reviews.default.svc.cluster.local]}]
  route: [{destination: {host: reviews}}]`,
    bad: `
hosts:
- outbound_.9080_._.reviews.default.svc.cluster.local # <-
tls:
- match: [{sniHosts: [outbound_.9080_._.reviews.default.svc.cluster.local]}]
  route: [{destination: {host: reviews}}]`,
    path: 'spec.hosts[0]',
    code: 'invalid-host',
  },
  {
    rule: 'exportTo "*" stands alone',
    good: route().replace('hosts: [reviews]', 'hosts: [reviews]\nexportTo: ["*"]'),
    bad: `
hosts: [reviews]
exportTo:
- "*" # <-
- bookinfo
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.exportTo[0]',
    code: 'conflicting-fields',
  },
  {
    rule: 'exportTo entries are namespaces',
    good: route().replace('hosts: [reviews]', 'hosts: [reviews]\nexportTo: [bookinfo]'),
    bad: `
hosts: [reviews]
exportTo:
- "~" # <-
http:
- route: [{destination: {host: reviews}}]`,
    path: 'spec.exportTo[0]',
    code: 'invalid-value',
  },
];

ruleTests('VirtualService', cases, test);

test('a misspelt field gets a did-you-mean hint', () => {
  const issue = expectIssue('VirtualService', route('  timout: 3s # <-\n'), {
    path: 'spec.http[0].timout',
    code: 'unknown-field',
  });
  assert.equal(issue.hint, 'did you mean "timeout"?');
});

test('every error in a VirtualService is reported, cross-field ones too', () => {
  const r = load(
    'VirtualService',
    `
hosts: [reviews]
http:
- route:
  - destination: {host: reviews}
    weight: -1
  redirect: {uri: /v2}
  timeout: 0s
  retries: {attempts: 3, perTryTimeout: 2}`,
  );
  assert.equal(r.resources.length, 0);
  assert.deepEqual(
    r.issues.map((i) => [i.line, i.path, i.code]).sort(),
    [
      [11, 'spec.http[0].route[0].weight', 'invalid-value'],
      [12, 'spec.http[0].redirect', 'conflicting-fields'],
      [13, 'spec.http[0].timeout', 'invalid-duration'],
      [14, 'spec.http[0].retries.perTryTimeout', 'invalid-type'],
    ].sort(),
  );
});

test('the typed model keeps Istio field names and milliseconds', () => {
  const vs = expectValid(
    'VirtualService',
    `
hosts: [ratings]
http:
- name: ratings-route
  match: [{uri: {prefix: /ratings}, ignoreUriCase: true, queryParams: {v: {exact: "2"}}, withoutHeaders: {x-debug: {regex: "*"}}}]
  route: [{destination: {host: ratings, subset: v1}, headers: {response: {set: {x-v: "1"}}}}]
  timeout: 10s
  retries: {attempts: 3, perTryTimeout: 250ms, backoff: 25ms}
  mirror: {host: ratings-shadow}
  mirrorPercent: 10`,
  ) as VirtualService;
  const r = vs.spec.http?.[0];
  assert.equal(r?.timeout, 10_000);
  assert.deepEqual(r?.retries, { attempts: 3, perTryTimeout: 250, backoff: 25 });
  assert.deepEqual(r?.match?.[0]?.queryParams, { v: { exact: '2' } });
  assert.equal(r?.mirrorPercent, 10);
});
