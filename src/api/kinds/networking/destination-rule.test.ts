import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationRule } from './index.ts';
import { expectIssue, expectValid, ruleTests } from './fixtures/check.ts';
import type { RuleCase } from './fixtures/check.ts';

const policy = (p: string) => `
host: reviews
trafficPolicy:
${p}`;

const cases: RuleCase[] = [
  {
    rule: 'the host is a DNS name, wildcards leftmost',
    good: 'host: "*.svc.cluster.local"',
    bad: 'host: reviews..default # <-',
    path: 'spec.host',
    code: 'invalid-host',
  },
  {
    rule: 'subset names are unique',
    good: 'host: reviews\nsubsets:\n- {name: v1, labels: {version: v1}}\n- {name: v2, labels: {version: v2}}',
    bad: 'host: reviews\nsubsets:\n- name: v1\n- name: v1 # <-',
    path: 'spec.subsets[1].name',
    code: 'duplicate-name',
  },
  {
    rule: 'subset names are DNS labels',
    good: 'host: reviews\nsubsets:\n- {name: v2-mysql-vm}',
    bad: 'host: reviews\nsubsets:\n- name: V1 # <-',
    path: 'spec.subsets[0].name',
    code: 'invalid-name',
  },
  {
    rule: 'subset labels are valid label values',
    good: 'host: reviews\nsubsets:\n- {name: v1, labels: {app.kubernetes.io/version: "1.0"}}',
    bad: 'host: reviews\nsubsets:\n- name: v1\n  labels: {version: "v1*"} # <-',
    path: 'spec.subsets[0].labels.version',
    code: 'invalid-label',
  },
  {
    rule: 'a traffic policy is not empty',
    good: policy('  tls: {mode: ISTIO_MUTUAL}'),
    bad: 'host: reviews\ntrafficPolicy: {} # <-',
    path: 'spec.trafficPolicy',
    code: 'missing-field',
  },
  {
    rule: 'simple load balancers are Istio’s names',
    good: policy('  loadBalancer: {simple: LEAST_REQUEST}'),
    bad: policy('  loadBalancer:\n    simple: LEAST_CONNECTIONS # <-'),
    path: 'spec.trafficPolicy.loadBalancer.simple',
    code: 'invalid-value',
  },
  {
    rule: 'simple and consistentHash are exclusive',
    good: policy(
      '  loadBalancer: {consistentHash: {httpCookie: {name: user, ttl: 0s}, ringHash: {minimumRingSize: 1024}}}',
    ),
    bad: policy('  loadBalancer:\n    simple: RANDOM\n    consistentHash: {useSourceIp: true} # <-'),
    path: 'spec.trafficPolicy.loadBalancer.consistentHash',
    code: 'conflicting-fields',
  },
  {
    rule: 'consistentHash hashes on one key',
    good: policy('  loadBalancer: {consistentHash: {httpQueryParameterName: user}}'),
    bad: policy(
      '  loadBalancer:\n    consistentHash:\n      httpHeaderName: x-user\n      useSourceIp: true # <-',
    ),
    path: 'spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp',
    code: 'conflicting-fields',
  },
  {
    rule: 'an httpCookie has a name',
    good: policy('  loadBalancer: {consistentHash: {httpCookie: {name: session, path: /, ttl: 1h}}}'),
    bad: policy('  loadBalancer:\n    consistentHash:\n      httpCookie:\n        name: "" # <-'),
    path: 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name',
    code: 'invalid-value',
  },
  {
    rule: 'maglev tables are prime',
    good: policy('  loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 65537}}}'),
    bad: policy(
      '  loadBalancer:\n    consistentHash:\n      httpHeaderName: x-user\n      maglev:\n        tableSize: 65536 # <-',
    ),
    path: 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize',
    code: 'invalid-value',
    message: /prime/,
  },
  {
    rule: 'minimumRingSize is not combined with ringHash or maglev',
    good: policy('  loadBalancer: {consistentHash: {useSourceIp: true, minimumRingSize: 512}}'),
    bad: policy(
      '  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      minimumRingSize: 512 # <-\n      ringHash: {minimumRingSize: 512}',
    ),
    path: 'spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize',
    code: 'conflicting-fields',
  },
  {
    rule: 'locality weights add up to 100',
    good: policy(
      '  loadBalancer:\n    localityLbSetting:\n      enabled: true\n      distribute:\n      - {from: us-west/zone1/*, to: {"us-west/zone1/*": 80, "us-west/zone2/*": 20}}',
    ),
    bad: policy(
      '  loadBalancer:\n    localityLbSetting:\n      distribute:\n      - from: us-west/*\n        to: {"us-west/*": 80, "us-east/*": 10} # <-',
    ),
    path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to',
    code: 'invalid-weight',
  },
  {
    rule: 'locality failover goes to another region',
    good: policy(
      '  loadBalancer:\n    localityLbSetting:\n      failover: [{from: us-east, to: eu-west}]\n  outlierDetection: {consecutive5xxErrors: 5}',
    ),
    bad: policy(
      '  loadBalancer:\n    localityLbSetting:\n      failover:\n      - from: us-east\n        to: us-east # <-',
    ),
    path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].to',
    code: 'invalid-value',
  },
  {
    rule: 'distribute and failover are exclusive',
    good: policy(
      '  loadBalancer:\n    localityLbSetting:\n      failoverPriority: [topology.kubernetes.io/region]',
    ),
    bad: policy(
      '  loadBalancer:\n    localityLbSetting:\n      distribute: [{from: "a/*", to: {"a/*": 100}}]\n      failover:\n      - {from: a, to: b} # <-',
    ),
    path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover',
    code: 'conflicting-fields',
  },
  {
    rule: 'warmup needs a duration',
    good: policy(
      '  loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 60s, minimumPercent: 10, aggression: 1.5}}',
    ),
    bad: policy('  loadBalancer:\n    warmup:\n      aggression: 2 # <-'),
    path: 'spec.trafficPolicy.loadBalancer.warmup.duration',
    code: 'missing-field',
  },
  {
    rule: 'a connection pool has tcp or http settings',
    good: policy(
      '  connectionPool: {tcp: {maxConnections: 100, connectTimeout: 30ms, tcpKeepalive: {time: 7200s, interval: 75s}, idleTimeout: 0s}}',
    ),
    bad: policy('  connectionPool: {} # <-'),
    path: 'spec.trafficPolicy.connectionPool',
    code: 'missing-field',
  },
  {
    rule: 'connection limits are ≥ 0',
    good: policy(
      '  connectionPool: {http: {http1MaxPendingRequests: 0, http2MaxRequests: 1000, maxRetries: 3, maxConcurrentStreams: 10, idleTimeout: 1m}}',
    ),
    bad: policy('  connectionPool:\n    http:\n      http1MaxPendingRequests: -1 # <-'),
    path: 'spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests',
    code: 'invalid-value',
  },
  {
    rule: 'useClientProtocol contradicts h2UpgradePolicy UPGRADE',
    good: policy('  connectionPool: {http: {h2UpgradePolicy: UPGRADE}}'),
    bad: policy(
      '  connectionPool:\n    http:\n      h2UpgradePolicy: UPGRADE\n      useClientProtocol: true # <-',
    ),
    path: 'spec.trafficPolicy.connectionPool.http.useClientProtocol',
    code: 'conflicting-fields',
  },
  {
    rule: 'pool durations are at least 1ms',
    good: policy('  connectionPool: {tcp: {maxConnectionDuration: 1h}}'),
    bad: policy('  connectionPool:\n    tcp:\n      connectTimeout: 0s # <-'),
    path: 'spec.trafficPolicy.connectionPool.tcp.connectTimeout',
    code: 'invalid-duration',
  },
  {
    rule: 'ejection percentages are 0–100',
    good: policy('  outlierDetection: {consecutiveErrors: 5, maxEjectionPercent: 100, minHealthPercent: 0}'),
    bad: policy('  outlierDetection:\n    maxEjectionPercent: 101 # <-'),
    path: 'spec.trafficPolicy.outlierDetection.maxEjectionPercent',
    code: 'invalid-value',
  },
  {
    rule: 'outlier intervals are durations',
    good: policy('  outlierDetection: {interval: 10s, baseEjectionTime: 30s}'),
    bad: policy('  outlierDetection:\n    interval: 10 # <-'),
    path: 'spec.trafficPolicy.outlierDetection.interval',
    code: 'invalid-type',
  },
  {
    rule: 'local-origin failures need splitExternalLocalOriginErrors',
    good: policy(
      '  outlierDetection: {splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 5}',
    ),
    bad: policy('  outlierDetection:\n    consecutiveLocalOriginFailures: 5 # <-'),
    path: 'spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures',
    code: 'missing-field',
  },
  {
    rule: 'TLS modes are DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL',
    good: policy('  tls: {mode: SIMPLE, sni: api.example.com, subjectAltNames: [api.example.com]}'),
    bad: policy('  tls:\n    mode: STRICT # <-'),
    path: 'spec.trafficPolicy.tls.mode',
    code: 'invalid-value',
  },
  {
    rule: 'MUTUAL TLS needs a client certificate',
    good: policy('  tls: {mode: MUTUAL, credentialName: client-cert}'),
    bad: policy('  tls:\n    mode: MUTUAL # <-\n    privateKey: /etc/key.pem'),
    path: 'spec.trafficPolicy.tls.clientCertificate',
    code: 'missing-field',
  },
  {
    rule: 'credentialName replaces certificate files',
    good: policy(
      '  tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem}',
    ),
    bad: policy('  tls:\n    mode: SIMPLE\n    credentialName: cred\n    caCertificates: /ca.pem # <-'),
    path: 'spec.trafficPolicy.tls.caCertificates',
    code: 'conflicting-fields',
  },
  {
    rule: 'insecureSkipVerify excludes verification settings',
    good: policy('  tls: {mode: SIMPLE, insecureSkipVerify: true}'),
    bad: policy(
      '  tls:\n    mode: SIMPLE\n    insecureSkipVerify: true # <-\n    subjectAltNames: [a.example.com]',
    ),
    path: 'spec.trafficPolicy.tls.insecureSkipVerify',
    code: 'conflicting-fields',
  },
  {
    rule: 'port-level settings name a port and a policy',
    good: policy('  portLevelSettings:\n  - port: {number: 9080}\n    loadBalancer: {simple: RANDOM}'),
    bad: policy('  portLevelSettings:\n  - port: {number: 9080} # <-'),
    path: 'spec.trafficPolicy.portLevelSettings[0]',
    code: 'missing-field',
  },
  {
    rule: 'tunnel and proxyProtocol are exclusive',
    good: policy('  tunnel: {protocol: CONNECT, targetHost: egress.example.com, targetPort: 8443}'),
    bad: policy('  tunnel: {targetHost: 10.0.0.1, targetPort: 8443}\n  proxyProtocol: {version: V2} # <-'),
    path: 'spec.trafficPolicy.proxyProtocol',
    code: 'conflicting-fields',
  },
  {
    rule: 'subsets carry their own valid policies',
    good: 'host: reviews\nsubsets:\n- name: v2\n  labels: {version: v2}\n  trafficPolicy: {loadBalancer: {simple: RANDOM}}',
    bad: 'host: reviews\nsubsets:\n- name: v2\n  trafficPolicy:\n    loadBalancer: {simple: FASTEST} # <-',
    path: 'spec.subsets[0].trafficPolicy.loadBalancer.simple',
    code: 'invalid-value',
  },
  {
    rule: 'a rule with a workloadSelector stays in its namespace',
    good: 'host: reviews\nworkloadSelector: {matchLabels: {app: productpage}}\nexportTo: ["."]',
    bad: 'host: reviews\nworkloadSelector: {matchLabels: {app: productpage}}\nexportTo: ["*"] # <-',
    path: 'spec.exportTo',
    code: 'conflicting-fields',
  },
  {
    rule: 'maglev needs a table size below 5000011',
    good: policy('  loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 4999999}}}'),
    bad: policy(
      '  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      maglev:\n        tableSize: 5000011 # <-',
    ),
    path: 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize',
    code: 'invalid-value',
  },
  {
    rule: 'localities have one trailing "*" at most',
    good: policy(
      '  loadBalancer:\n    localityLbSetting:\n      distribute: [{from: "us-west/*", to: {"us-east/zone1/*": 100}}]',
    ),
    bad: policy(
      '  loadBalancer:\n    localityLbSetting:\n      distribute:\n      - from: "*/zone1" # <-\n        to: {"us-east/*": 100}',
    ),
    path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from',
    code: 'invalid-value',
  },
  {
    rule: 'failoverPriority cannot repeat topology labels with failover',
    good: policy(
      '  loadBalancer:\n    localityLbSetting:\n      failover: [{from: a, to: b}]\n      failoverPriority: [network.istio.io/network]',
    ),
    bad: policy(
      '  loadBalancer:\n    localityLbSetting:\n      failover: [{from: a, to: b}]\n      failoverPriority:\n      - topology.kubernetes.io/zone # <-',
    ),
    path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority[0]',
    code: 'conflicting-fields',
  },
  {
    rule: 'warmup minimumPercent is 0–100',
    good: policy('  loadBalancer: {warmup: {duration: 30s, minimumPercent: 100}}'),
    bad: policy('  loadBalancer:\n    warmup:\n      duration: 30s\n      minimumPercent: 120 # <-'),
    path: 'spec.trafficPolicy.loadBalancer.warmup.minimumPercent',
    code: 'invalid-value',
  },
  {
    rule: 'warmup aggression is at least 1',
    good: policy('  loadBalancer: {warmupDurationSecs: 45s}'),
    bad: policy('  loadBalancer:\n    warmup:\n      duration: 30s\n      aggression: 0.5 # <-'),
    path: 'spec.trafficPolicy.loadBalancer.warmup.aggression',
    code: 'invalid-value',
  },
  {
    rule: 'TCP keepalive times are durations',
    good: policy('  connectionPool: {tcp: {tcpKeepalive: {probes: 9, time: 2h, interval: 75s}}}'),
    bad: policy('  connectionPool:\n    tcp:\n      tcpKeepalive:\n        interval: 0s # <-'),
    path: 'spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.interval',
    code: 'invalid-duration',
  },
  {
    rule: 'h2UpgradePolicy values',
    good: policy('  connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE, useClientProtocol: true}}'),
    bad: policy('  connectionPool:\n    http:\n      h2UpgradePolicy: ALWAYS # <-'),
    path: 'spec.trafficPolicy.connectionPool.http.h2UpgradePolicy',
    code: 'invalid-value',
  },
  {
    rule: 'tunnel target hosts are host names or IPs',
    good: policy('  tunnel: {protocol: POST, targetHost: 192.168.1.2, targetPort: 443}'),
    bad: policy('  tunnel:\n    targetHost: "*.example.com" # <-\n    targetPort: 443'),
    path: 'spec.trafficPolicy.tunnel.targetHost',
    code: 'invalid-host',
  },
  {
    rule: 'tunnel protocols are CONNECT or POST',
    good: policy('  tunnel: {targetHost: proxy.example.com, targetPort: 3128}'),
    bad: policy('  tunnel:\n    protocol: GET # <-\n    targetHost: proxy.example.com\n    targetPort: 3128'),
    path: 'spec.trafficPolicy.tunnel.protocol',
    code: 'invalid-value',
  },
  {
    rule: 'PROXY protocol versions are V1 or V2',
    good: policy('  proxyProtocol: {version: V1}'),
    bad: policy('  proxyProtocol:\n    version: V3 # <-'),
    path: 'spec.trafficPolicy.proxyProtocol.version',
    code: 'invalid-value',
  },
];

ruleTests('DestinationRule', cases, test);

test('LEAST_CONN is accepted as the older name of LEAST_REQUEST', () => {
  const dr = expectValid(
    'DestinationRule',
    policy('  loadBalancer: {simple: LEAST_CONN}'),
  ) as DestinationRule;
  assert.equal(dr.spec.trafficPolicy?.loadBalancer?.simple, 'LEAST_CONN');
});

test('a misspelt enum value gets a did-you-mean hint', () => {
  const issue = expectIssue('DestinationRule', policy('  loadBalancer:\n    simple: ROUND_ROBN # <-'), {
    path: 'spec.trafficPolicy.loadBalancer.simple',
    code: 'invalid-value',
  });
  assert.equal(issue.hint, 'did you mean "ROUND_ROBIN"?');
});
