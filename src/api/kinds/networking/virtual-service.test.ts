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
    rule: 'an HTTP route needs route, redirect, directResponse or delegate',
    good: route(),
    bad: `
hosts: [reviews]
http:
- match: # <-
  - uri: {prefix: /}`,
    path: 'spec.http[0]',
    code: 'missing-field',
    message: /must say where requests go/,
  },
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
    rule: 'fault and redirect are exclusive',
    good: `
hosts: [reviews]
http:
- redirect: {authority: example.com}`,
    bad: `
hosts: [reviews]
http:
- redirect: {authority: example.com}
  fault: {abort: {httpStatus: 500}} # <-`,
    path: 'spec.http[0].fault',
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
    rule: 'percentages are 0–100',
    good: route('  fault: {delay: {fixedDelay: 5s, percentage: {value: 0.5}}}\n'),
    bad: `
${route()}
  fault:
    delay:
      fixedDelay: 5s
      percentage: {value: 150} # <-`,
    path: 'spec.http[0].fault.delay.percentage.value',
    code: 'invalid-value',
  },
  {
    rule: 'durations are at least 1ms',
    good: route('  timeout: 500ms\n'),
    bad: route('  timeout: 0s # <-\n'),
    path: 'spec.http[0].timeout',
    code: 'invalid-duration',
    message: /at least 1ms/,
  },
  {
    rule: 'durations have a unit',
    good: route('  timeout: 1h30m\n'),
    bad: route('  timeout: "2" # <-\n'),
    path: 'spec.http[0].timeout',
    code: 'invalid-duration',
  },
  {
    rule: 'durations are whole milliseconds',
    good: route('  timeout: 1.5s\n'),
    bad: route('  timeout: 1500us # <-\n'),
    path: 'spec.http[0].timeout',
    code: 'invalid-duration',
  },
  {
    rule: 'retry attempts are ≥ 0',
    good: route('  retries: {attempts: 0}\n'),
    bad: route('  retries:\n    attempts: -1 # <-\n'),
    path: 'spec.http[0].retries.attempts',
    code: 'invalid-value',
  },
  {
    rule: 'perTryTimeout is at least 1ms',
    good: route(
      '  retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure,503,unavailable"}\n',
    ),
    bad: route('  retries:\n    attempts: 3\n    perTryTimeout: 0ms # <-\n'),
    path: 'spec.http[0].retries.perTryTimeout',
    code: 'invalid-duration',
  },
  {
    rule: 'retry settings need attempts',
    good: route('  retries: {attempts: 2, retryRemoteLocalities: true}\n'),
    bad: route('  retries:\n    perTryTimeout: 2s # <-\n'),
    path: 'spec.http[0].retries.attempts',
    code: 'invalid-value',
    message: /turns retries off/,
  },
  {
    rule: 'retryOn names Envoy retry conditions',
    good: route('  retries: {attempts: 3, retryOn: gateway-error}\n'),
    bad: route('  retries:\n    attempts: 3\n    retryOn: 5xx,timeouts # <-\n'),
    path: 'spec.http[0].retries.retryOn',
    code: 'invalid-value',
    message: /"timeouts" is not a retry condition/,
  },
  {
    rule: 'a fault needs a delay or an abort',
    good: route('  fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 10}}}\n'),
    bad: route('  fault: {} # <-\n'),
    path: 'spec.http[0].fault',
    code: 'missing-field',
  },
  {
    rule: 'an abort needs a status',
    good: route('  fault: {abort: {httpStatus: 503}}\n'),
    bad: route('  fault:\n    abort:\n      percentage: {value: 100} # <-\n'),
    path: 'spec.http[0].fault.abort',
    code: 'missing-field',
    message: /httpStatus/,
  },
  {
    rule: 'abort HTTP status is 200–599',
    good: route('  fault: {abort: {httpStatus: 599}}\n'),
    bad: route('  fault:\n    abort:\n      httpStatus: 700 # <-\n'),
    path: 'spec.http[0].fault.abort.httpStatus',
    code: 'invalid-value',
  },
  {
    rule: 'a delay needs fixedDelay',
    good: route('  fault: {delay: {fixedDelay: 7s, percent: 50}}\n'),
    bad: route('  fault:\n    delay:\n      percentage: {value: 100} # <-\n'),
    path: 'spec.http[0].fault.delay',
    code: 'missing-field',
  },
  {
    rule: 'redirect codes are 3xx',
    good: `
hosts: [reviews]
http:
- redirect: {uri: /new, redirectCode: 308, scheme: https, derivePort: FROM_PROTOCOL_DEFAULT}`,
    bad: `
hosts: [reviews]
http:
- redirect:
    uri: /new
    redirectCode: 200 # <-`,
    path: 'spec.http[0].redirect.redirectCode',
    code: 'invalid-value',
  },
  {
    rule: 'redirect port and derivePort are exclusive',
    good: `
hosts: [reviews]
http:
- redirect: {port: 8443}`,
    bad: `
hosts: [reviews]
http:
- redirect:
    port: 8443
    derivePort: FROM_REQUEST_PORT # <-`,
    path: 'spec.http[0].redirect.derivePort',
    code: 'conflicting-fields',
  },
  {
    rule: 'a redirect changes something',
    good: `
hosts: [reviews]
http:
- redirect: {scheme: https}`,
    bad: `
hosts: [reviews]
http:
- redirect:
    redirectCode: 301 # <-`,
    path: 'spec.http[0].redirect',
    code: 'missing-field',
  },
  {
    rule: 'a response body is string or bytes',
    good: `
hosts: [reviews]
http:
- directResponse: {status: 503, body: {bytes: aGVsbG8=}}`,
    bad: `
hosts: [reviews]
http:
- directResponse:
    status: 503
    body:
      string: hello
      bytes: aGVsbG8= # <-`,
    path: 'spec.http[0].directResponse.body.bytes',
    code: 'conflicting-fields',
  },
  {
    rule: 'rewrite uri and uriRegexRewrite are exclusive',
    good: route(
      '  rewrite: {uriRegexRewrite: {match: "^/v1/(.*)", rewrite: "/\\\\1"}, authority: reviews.internal}\n',
    ),
    bad: route('  rewrite:\n    uri: /\n    uriRegexRewrite: {match: "^/v1", rewrite: /} # <-\n'),
    path: 'spec.http[0].rewrite.uriRegexRewrite',
    code: 'conflicting-fields',
  },
  {
    rule: 'uriRegexRewrite match is RE2',
    good: route('  rewrite: {uriRegexRewrite: {match: "^/api", rewrite: /}}\n'),
    bad: route('  rewrite:\n    uriRegexRewrite:\n      match: "(a" # <-\n      rewrite: /\n'),
    path: 'spec.http[0].rewrite.uriRegexRewrite.match',
    code: 'invalid-regex',
  },
  {
    rule: 'pseudo-headers cannot be set',
    good: route(
      '  headers: {request: {set: {x-version: v2, ":authority": reviews.internal}}, response: {remove: [server]}}\n',
    ),
    bad: route('  headers:\n    request:\n      set: {":path": /x} # <-\n'),
    path: 'spec.http[0].headers.request.set[":path"]',
    code: 'invalid-header',
  },
  {
    rule: 'the response Host header cannot be set',
    good: route('  headers: {response: {add: {x-served-by: reviews}}}\n'),
    bad: route('  headers:\n    response:\n      set: {host: a} # <-\n'),
    path: 'spec.http[0].headers.response.set.host',
    code: 'invalid-header',
  },
  {
    rule: 'header values use % only for variables',
    good: route('', '    headers: {request: {set: {x-host: "%HOSTNAME%", x-ratio: "100%%"}}}\n'),
    bad: route('', '    headers:\n      request:\n        add: {x-ratio: "50%"} # <-\n'),
    path: 'spec.http[0].route[0].headers.request.add.x-ratio',
    code: 'invalid-header',
  },
  {
    rule: 'the authority is rewritten in one place only',
    good: route('  rewrite: {authority: reviews.internal}\n'),
    bad: route(
      '  rewrite:\n    authority: a.internal # <-\n  headers: {request: {set: {host: b.internal}}}\n',
    ),
    path: 'spec.http[0].rewrite.authority',
    code: 'conflicting-fields',
  },
  {
    rule: 'CORS methods are HTTP methods',
    good: route(
      '  corsPolicy: {allowOrigins: [{exact: "https://example.com"}, {regex: ".*\\\\.example\\\\.org"}], allowMethods: [GET, POST], allowHeaders: [x-token], exposeHeaders: ["*"], maxAge: 24h, allowCredentials: true, unmatchedPreflights: IGNORE}\n',
    ),
    bad: route('  corsPolicy:\n    allowMethods: [GET, get] # <-\n'),
    path: 'spec.http[0].corsPolicy.allowMethods[1]',
    code: 'invalid-value',
  },
  {
    rule: 'CORS maxAge is whole seconds',
    good: route('  corsPolicy: {allowOrigin: ["*"], maxAge: 2m}\n'),
    bad: route('  corsPolicy:\n    maxAge: 1500ms # <-\n'),
    path: 'spec.http[0].corsPolicy.maxAge',
    code: 'invalid-duration',
  },
  {
    rule: 'mirrorPercentage is 0–100',
    good: route('  mirror: {host: reviews-shadow}\n  mirrorPercentage: {value: 100}\n'),
    bad: route('  mirror: {host: reviews-shadow}\n  mirrorPercentage:\n    value: 101 # <-\n'),
    path: 'spec.http[0].mirrorPercentage.value',
    code: 'invalid-value',
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
    rule: 'percentages below 0.0001 are refused unless 0',
    good: route('  fault: {abort: {httpStatus: 503, percentage: {value: 0}}}\n'),
    bad: route('  fault:\n    abort:\n      httpStatus: 503\n      percentage: {value: 0.00001} # <-\n'),
    path: 'spec.http[0].fault.abort.percentage.value',
    code: 'invalid-value',
  },
  {
    rule: 'exponentialDelay is not supported',
    good: route('  fault: {delay: {fixedDelay: 1s}}\n'),
    bad: route('  fault:\n    delay:\n      exponentialDelay: 1s # <-\n'),
    path: 'spec.http[0].fault.delay.exponentialDelay',
    code: 'unsupported',
  },
  {
    rule: 'http2Error aborts are not supported',
    good: route('  fault: {abort: {grpcStatus: DEADLINE_EXCEEDED}}\n'),
    bad: route('  fault:\n    abort:\n      http2Error: REFUSED_STREAM # <-\n'),
    path: 'spec.http[0].fault.abort.http2Error',
    code: 'unsupported',
  },
  {
    rule: 'gRPC abort statuses are gRPC code names',
    good: route('  fault: {abort: {grpcStatus: NOT_FOUND}}\n'),
    bad: route('  fault:\n    abort:\n      grpcStatus: MISSING # <-\n'),
    path: 'spec.http[0].fault.abort.grpcStatus',
    code: 'invalid-value',
  },
  {
    rule: 'a rewrite changes something',
    good: route('  rewrite: {uri: /v2}\n'),
    bad: route('  rewrite: {} # <-\n'),
    path: 'spec.http[0].rewrite',
    code: 'missing-field',
  },
  {
    rule: 'uriRegexRewrite needs replacement text',
    good: route('  rewrite: {uriRegexRewrite: {match: "^/old", rewrite: /new}}\n'),
    bad: route('  rewrite:\n    uriRegexRewrite:\n      match: "^/old"\n      rewrite: "" # <-\n'),
    path: 'spec.http[0].rewrite.uriRegexRewrite.rewrite',
    code: 'missing-field',
  },
  {
    rule: 'body bytes are base64',
    good: `
hosts: [reviews]
http:
- directResponse: {status: 200, body: {string: "{}"}}`,
    bad: `
hosts: [reviews]
http:
- directResponse:
    status: 200
    body:
      bytes: "not base64!" # <-`,
    path: 'spec.http[0].directResponse.body.bytes',
    code: 'invalid-value',
  },
  {
    rule: 'a direct response body is under 1MB',
    good: `
hosts: [reviews]
http:
- directResponse: {status: 200, body: {string: "${'x'.repeat(1000)}"}}`,
    bad: `
hosts: [reviews]
http:
- directResponse:
    status: 200
    body:
      string: "${'x'.repeat(1024 * 1024 + 1)}" # <-`,
    path: 'spec.http[0].directResponse.body',
    code: 'invalid-value',
  },
  {
    rule: 'header values have no control characters',
    good: route('  headers: {response: {set: {x-note: "tab\\tok"}}}\n'),
    bad: route('  headers:\n    response:\n      set: {x-note: "two\\nlines"} # <-\n'),
    path: 'spec.http[0].headers.response.set.x-note',
    code: 'invalid-header',
  },
  {
    rule: 'Host cannot be removed from requests',
    good: route('  headers: {request: {remove: [x-debug]}}\n'),
    bad: route('  headers:\n    request:\n      remove: [host] # <-\n'),
    path: 'spec.http[0].headers.request.remove[0]',
    code: 'invalid-header',
  },
  {
    rule: 'CORS header names are HTTP tokens',
    good: route('  corsPolicy: {exposeHeaders: [x-request-id]}\n'),
    bad: route('  corsPolicy:\n    exposeHeaders: ["x request id"] # <-\n'),
    path: 'spec.http[0].corsPolicy.exposeHeaders[0]',
    code: 'invalid-header',
  },
  {
    rule: 'CORS origins are complete string matches',
    good: route('  corsPolicy: {allowOrigins: [{prefix: "https://"}]}\n'),
    bad: route('  corsPolicy:\n    allowOrigins:\n    - {} # <-\n'),
    path: 'spec.http[0].corsPolicy.allowOrigins[0]',
    code: 'missing-field',
  },
  {
    rule: 'retry backoff is a duration',
    good: route('  retries: {attempts: 2, backoff: 100ms}\n'),
    bad: route('  retries:\n    attempts: 2\n    backoff: 0s # <-\n'),
    path: 'spec.http[0].retries.backoff',
    code: 'invalid-duration',
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
