// VirtualService rules on what a route does: faults, retries, timeouts, redirects, rewrites,
// header changes, CORS and mirroring. Structure, matches and hosts are in virtual-service.test.ts.
import { test } from 'node:test';
import { ruleTests } from './fixtures/check.ts';
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
];

ruleTests('VirtualService', cases, test);
