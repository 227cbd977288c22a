import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkloadEntry } from './index.ts';
import { expectValid, ruleTests } from './fixtures/check.ts';
import type { RuleCase } from './fixtures/check.ts';

const entries: RuleCase[] = [
  {
    rule: 'an entry has an address unless it names a network',
    good: 'network: vm-network\nlabels: {app: ratings}',
    bad: 'labels: {app: ratings} # <-',
    path: 'spec.address',
    code: 'missing-field',
  },
  {
    rule: 'the address is an IP, host name or unix socket',
    good: 'address: vm1.internal.example.com\nports: {http: 9080}',
    bad: 'address: "10.0.0.1:9080" # <-',
    path: 'spec.address',
    code: 'invalid-address',
  },
  {
    rule: 'unix socket entries take no ports',
    good: 'address: unix:///var/run/app.sock',
    bad: 'address: unix:///var/run/app.sock\nports: {http: 9080} # <-',
    path: 'spec.ports',
    code: 'conflicting-fields',
  },
  {
    rule: 'port names are DNS labels and numbers valid ports',
    good: 'address: 10.0.0.1\nports: {http-web: 8080}',
    bad: 'address: 10.0.0.1\nports:\n  http-web: 0 # <-',
    path: 'spec.ports.http-web',
    code: 'invalid-value',
  },
  {
    rule: 'labels are valid',
    good: 'address: 10.0.0.1\nlabels: {app: ratings, version: v1}\nserviceAccount: bookinfo-ratings\nlocality: us-west/zone1\nweight: 10',
    bad: 'address: 10.0.0.1\nlabels:\n  version: "not valid" # <-',
    path: 'spec.labels.version',
    code: 'invalid-label',
  },
  {
    rule: 'unix socket paths are absolute',
    good: 'address: unix://@abstract-socket',
    bad: 'address: unix://var/run/app.sock # <-',
    path: 'spec.address',
    code: 'invalid-address',
  },
  {
    rule: 'host name addresses are valid DNS names',
    good: 'address: vm-1.example.com',
    bad: 'address: vm_1.example.com # <-',
    path: 'spec.address',
    code: 'invalid-address',
  },
  {
    rule: 'port names are DNS labels',
    good: 'address: 10.0.0.1\nports: {grpc-api: 50051}',
    bad: 'address: 10.0.0.1\nports:\n  GRPC: 50051 # <-',
    path: 'spec.ports.GRPC',
    code: 'invalid-name',
  },
];

ruleTests('WorkloadEntry', entries, test);

const groups: RuleCase[] = [
  {
    rule: 'a group has a template',
    good: 'metadata: {labels: {app: ratings}}\ntemplate: {serviceAccount: ratings, ports: {http: 9080}}',
    bad: 'metadata: # <-\n  labels: {app: ratings}',
    path: 'spec.template',
    code: 'missing-field',
  },
  {
    rule: 'a probe has exactly one method',
    good: 'template: {}\nprobe: {httpGet: {path: /ready, port: 9080}, periodSeconds: 5}',
    bad: 'template: {}\nprobe:\n  tcpSocket: {port: 9080}\n  exec: {command: [cat, /ready]} # <-',
    path: 'spec.probe.exec',
    code: 'conflicting-fields',
  },
];

ruleTests('WorkloadGroup', groups, test);

test('a WorkloadEntry keeps its ports map', () => {
  const we = expectValid('WorkloadEntry', 'address: 10.0.0.1\nports: {http: 9080}') as WorkloadEntry;
  assert.deepEqual(we.spec.ports, { http: 9080 });
});
