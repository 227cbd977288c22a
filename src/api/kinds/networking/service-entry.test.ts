import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceEntry } from './index.ts';
import { expectValid, ruleTests } from './fixtures/check.ts';
import type { RuleCase } from './fixtures/check.ts';

const external = (rest = '') => `
hosts: [api.example.com]
ports:
- {number: 443, name: https, protocol: TLS}
location: MESH_EXTERNAL
resolution: DNS
${rest}`;

const cases: RuleCase[] = [
  {
    rule: 'a ServiceEntry has hosts',
    good: external(),
    bad: 'hosts: [] # <-\nports: [{number: 80, name: http}]',
    path: 'spec.hosts',
    code: 'invalid-value',
  },
  {
    rule: 'the host "*" is not allowed',
    good: '\nhosts: ["*.example.com"]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: NONE',
    bad: '\nhosts:\n- "*" # <-\nports: [{number: 80, name: http, protocol: HTTP}]',
    path: 'spec.hosts[0]',
    code: 'invalid-host',
  },
  {
    rule: 'addresses are IPs or CIDR blocks',
    good: '\nhosts: [db.internal]\naddresses: [10.1.2.3, 10.2.0.0/16]\nports: [{number: 5432, name: tcp-pg, protocol: TCP}]\nresolution: STATIC\nendpoints: [{address: 10.1.2.3}]',
    bad: '\nhosts: [db.internal]\naddresses:\n- 10.1.2 # <-\nports: [{number: 5432, name: tcp-pg, protocol: TCP}]',
    path: 'spec.addresses[0]',
    code: 'invalid-address',
  },
  {
    rule: 'CIDR addresses need resolution NONE or STATIC',
    good: '\nhosts: [db.internal]\naddresses: [10.2.0.0/16]\nports: [{number: 5432, name: tcp-pg, protocol: TCP}]',
    bad: '\nhosts: [db.internal]\naddresses:\n- 10.2.0.0/16 # <-\nports: [{number: 5432, name: tcp-pg, protocol: TCP}]\nresolution: DNS',
    path: 'spec.addresses',
    code: 'conflicting-fields',
  },
  {
    rule: 'ports have unique names',
    good: external(),
    bad: '\nhosts: [a.example.com]\nports:\n- {number: 80, name: http, protocol: HTTP}\n- {number: 8080, name: http, protocol: HTTP} # <-',
    path: 'spec.ports[1].name',
    code: 'duplicate-name',
  },
  {
    rule: 'ports have unique numbers',
    good: '\nhosts: [a.example.com]\nports:\n- {number: 80, name: http, protocol: HTTP}\n- {number: 8080, name: http-alt, protocol: HTTP, targetPort: 80}',
    bad: '\nhosts: [a.example.com]\nports:\n- {number: 80, name: http, protocol: HTTP}\n- {number: 80, name: http2, protocol: HTTP2} # <-',
    path: 'spec.ports[1].number',
    code: 'duplicate-port',
  },
  {
    rule: 'port names are DNS labels',
    good: external(),
    bad: '\nhosts: [a.example.com]\nports:\n- number: 80\n  name: HTTP_WEB # <-',
    path: 'spec.ports[0].name',
    code: 'invalid-name',
  },
  {
    rule: 'port protocols are Istio’s',
    good: '\nhosts: [a.example.com]\nports: [{number: 6379, name: redis, protocol: REDIS}]',
    bad: '\nhosts: [a.example.com]\nports:\n- number: 80\n  name: web\n  protocol: WEB # <-',
    path: 'spec.ports[0].protocol',
    code: 'invalid-value',
  },
  {
    rule: 'resolution is NONE, STATIC, DNS or DNS_ROUND_ROBIN',
    good: external().replace('resolution: DNS', 'resolution: DNS_ROUND_ROBIN'),
    bad: external().replace('resolution: DNS', 'resolution: LOGICAL_DNS # <-'),
    path: 'spec.resolution',
    code: 'invalid-value',
  },
  {
    rule: 'resolution NONE takes no endpoints',
    good: '\nhosts: [a.example.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nendpoints: [{address: 1.2.3.4, ports: {http: 8080}}]',
    bad: '\nhosts: [a.example.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: NONE\nendpoints:\n- address: 1.2.3.4 # <-',
    path: 'spec.endpoints',
    code: 'conflicting-fields',
  },
  {
    rule: 'STATIC endpoints are IP addresses',
    good: '\nhosts: [a.example.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nendpoints: [{address: "2001:db8::1"}]',
    bad: '\nhosts: [a.example.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nendpoints:\n- address: vm1.example.com # <-',
    path: 'spec.endpoints[0].address',
    code: 'invalid-address',
  },
  {
    rule: 'DNS without endpoints needs plain host names',
    good: external(),
    bad: '\nhosts:\n- "*.example.com" # <-\nports: [{number: 443, name: https, protocol: TLS}]\nresolution: DNS',
    path: 'spec.hosts[0]',
    code: 'invalid-host',
  },
  {
    rule: 'DNS_ROUND_ROBIN takes at most one endpoint',
    good: external('endpoints: [{address: lb.example.com}]').replace(
      'resolution: DNS',
      'resolution: DNS_ROUND_ROBIN',
    ),
    bad: external('endpoints:\n- address: a.example.com # <-\n- address: b.example.com').replace(
      'resolution: DNS',
      'resolution: DNS_ROUND_ROBIN',
    ),
    path: 'spec.endpoints',
    code: 'invalid-value',
  },
  {
    rule: 'endpoint ports name ServiceEntry ports',
    good: external('endpoints: [{address: api.example.com, ports: {https: 8443}}]'),
    bad: external('endpoints:\n- address: api.example.com\n  ports: {http: 8080} # <-'),
    path: 'spec.endpoints[0].ports.http',
    code: 'unknown-port',
  },
  {
    rule: 'several hosts need HTTP or TLS ports',
    good: '\nhosts: [a.example.com, b.example.com]\nports: [{number: 443, name: tls, protocol: TLS}]\nresolution: DNS',
    bad: '\nhosts: [a.example.com, b.example.com]\nports:\n- number: 3306\n  name: mysql\n  protocol: TCP # <-\nresolution: DNS',
    path: 'spec.ports[0].protocol',
    code: 'conflicting-fields',
  },
  {
    rule: 'workloadSelector and endpoints are exclusive',
    good: '\nhosts: [vm.internal]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nlocation: MESH_INTERNAL\nworkloadSelector: {labels: {app: vm}}',
    bad: '\nhosts: [vm.internal]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nworkloadSelector: {labels: {app: vm}}\nendpoints:\n- address: 10.0.0.1 # <-',
    path: 'spec.endpoints',
    code: 'conflicting-fields',
  },
  {
    rule: 'exportTo "~" hides the service and stands alone',
    good: external('exportTo: ["~"]'),
    bad: external('exportTo:\n- "~" # <-\n- "."'),
    path: 'spec.exportTo[0]',
    code: 'conflicting-fields',
  },
  {
    rule: 'a unix socket endpoint serves exactly one port',
    good: '\nhosts: [local.app]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nendpoints: [{address: "unix:///var/run/app.sock"}]',
    bad: '\nhosts: [local.app]\nports:\n- {number: 80, name: http, protocol: HTTP}\n- {number: 81, name: http2, protocol: HTTP}\nresolution: STATIC\nendpoints:\n- address: "unix:///var/run/app.sock" # <-',
    path: 'spec.endpoints[0].address',
    code: 'invalid-value',
  },
  {
    rule: 'DNS endpoints are IPs or host names',
    good: external('endpoints: [{address: 203.0.113.7}]'),
    bad: external('endpoints:\n- address: "bad_host.example.com" # <-'),
    path: 'spec.endpoints[0].address',
    code: 'invalid-address',
  },
  {
    rule: 'locations are MESH_EXTERNAL or MESH_INTERNAL',
    good: external().replace('MESH_EXTERNAL', 'MESH_INTERNAL'),
    bad: external().replace('location: MESH_EXTERNAL', 'location: EXTERNAL # <-'),
    path: 'spec.location',
    code: 'invalid-value',
  },
  {
    rule: 'targetPort is a port number',
    good: '\nhosts: [a.example.com]\nports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]',
    bad: '\nhosts: [a.example.com]\nports:\n- number: 80\n  name: http\n  targetPort: 0 # <-',
    path: 'spec.ports[0].targetPort',
    code: 'invalid-value',
  },
];

ruleTests('ServiceEntry', cases, test);

test('protocols are normalised to upper case', () => {
  const se = expectValid(
    'ServiceEntry',
    '\nhosts: [a.example.com]\nports: [{number: 80, name: http, protocol: http}]',
  ) as ServiceEntry;
  assert.equal(se.spec.ports?.[0]?.protocol, 'HTTP');
});
