import { test } from 'node:test';
import { ruleTests } from './fixtures/check.ts';
import type { RuleCase } from './fixtures/check.ts';

const server = (port: string, rest = '') => `
selector: {istio: ingressgateway}
servers:
- port: ${port}
  hosts: ["*"]
${rest}`;

const https = (tls: string) => `
servers:
- port: {number: 443, name: https, protocol: HTTPS}
  hosts: [bookinfo.example.com]
  tls:
${tls}`;

const cases: RuleCase[] = [
  {
    rule: 'a Gateway has servers',
    good: server('{number: 80, name: http, protocol: HTTP}'),
    bad: 'servers: [] # <-',
    path: 'spec.servers',
    code: 'invalid-value',
  },
  {
    rule: 'server ports are named',
    good: server('{number: 80, name: http, protocol: http}'),
    bad: '\nservers:\n- port: {number: 80, protocol: HTTP} # <-\n  hosts: ["*"]',
    path: 'spec.servers[0].port.name',
    code: 'missing-field',
  },
  {
    rule: 'port names are unique across servers',
    good: `${server('{number: 80, name: http, protocol: HTTP}')}- port: {number: 8080, name: http-alt, protocol: HTTP}\n  hosts: ["*"]`,
    bad: `${server('{number: 80, name: http, protocol: HTTP}')}- port:\n    name: http # <-\n    number: 8080\n    protocol: HTTP\n  hosts: ["*"]`,
    path: 'spec.servers[1].port.name',
    code: 'duplicate-name',
  },
  {
    rule: 'protocols are Istio’s',
    good: server('{number: 31400, name: tcp, protocol: TCP}'),
    bad: '\nservers:\n- port:\n    number: 80\n    name: http\n    protocol: HTTP3 # <-\n  hosts: ["*"]',
    path: 'spec.servers[0].port.protocol',
    code: 'invalid-value',
  },
  {
    rule: 'port numbers are 1–65535',
    good: server('{number: 65535, name: http, protocol: HTTP}'),
    bad: '\nservers:\n- port:\n    number: 70000 # <-\n    name: http\n    protocol: HTTP\n  hosts: ["*"]',
    path: 'spec.servers[0].port.number',
    code: 'invalid-value',
  },
  {
    rule: 'targetPort has no effect on gateways',
    good: server('{number: 80, name: http, protocol: HTTP}'),
    bad: '\nservers:\n- port:\n    number: 80\n    name: http\n    protocol: HTTP\n    targetPort: 8080 # <-\n  hosts: ["*"]',
    path: 'spec.servers[0].port.targetPort',
    code: 'invalid-value',
  },
  {
    rule: 'a server has hosts',
    good: server('{number: 80, name: http, protocol: HTTP}'),
    bad: '\nservers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [] # <-',
    path: 'spec.servers[0].hosts',
    code: 'invalid-value',
  },
  {
    rule: 'server hosts are fully qualified, optionally namespace/host',
    good: '\nservers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ["*", "bookinfo/*.example.com", "./reviews.example.com", "*/10.0.0.1"]',
    bad: '\nservers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts:\n  - bookinfo # <-',
    path: 'spec.servers[0].hosts[0]',
    code: 'invalid-host',
    message: /short name/,
  },
  {
    rule: 'server host namespaces are names, "*" or "."',
    good: '\nservers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ["*/*"]',
    bad: '\nservers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts:\n  - "Prod_NS/*.example.com" # <-',
    path: 'spec.servers[0].hosts[0]',
    code: 'invalid-host',
  },
  {
    rule: 'HTTPS servers need TLS settings',
    good: https('    mode: SIMPLE\n    credentialName: bookinfo-cert'),
    bad: '\nservers:\n- port: {number: 443, name: https, protocol: HTTPS} # <-\n  hosts: ["*"]',
    path: 'spec.servers[0].tls',
    code: 'missing-field',
  },
  {
    rule: 'plain HTTP servers take only httpsRedirect',
    good: server('{number: 80, name: http, protocol: HTTP}', '  tls: {httpsRedirect: true}'),
    bad: server(
      '{number: 80, name: http, protocol: HTTP}',
      '  tls:\n    mode: SIMPLE # <-\n    credentialName: c',
    ),
    path: 'spec.servers[0].tls',
    code: 'conflicting-fields',
  },
  {
    rule: 'SIMPLE TLS needs a certificate',
    good: https(
      '    mode: SIMPLE\n    serverCertificate: /etc/certs/cert.pem\n    privateKey: /etc/certs/key.pem',
    ),
    bad: https('    mode: SIMPLE # <-\n    privateKey: /etc/certs/key.pem'),
    path: 'spec.servers[0].tls.mode',
    code: 'missing-field',
  },
  {
    rule: 'MUTUAL TLS needs client CA certificates',
    good: https(
      '    mode: MUTUAL\n    serverCertificate: /c.pem\n    privateKey: /k.pem\n    caCertificates: /ca.pem',
    ),
    bad: https('    mode: MUTUAL # <-\n    serverCertificate: /c.pem\n    privateKey: /k.pem'),
    path: 'spec.servers[0].tls.caCertificates',
    code: 'missing-field',
  },
  {
    rule: 'ISTIO_MUTUAL uses the mesh certificates only',
    good: https('    mode: ISTIO_MUTUAL'),
    bad: https('    mode: ISTIO_MUTUAL\n    credentialName: cert # <-'),
    path: 'spec.servers[0].tls.credentialName',
    code: 'conflicting-fields',
  },
  {
    rule: 'one certificate source',
    good: https('    mode: SIMPLE\n    credentialNames: [rsa-cert, ec-cert]'),
    bad: https(
      '    mode: SIMPLE # <-\n    credentialName: a\n    serverCertificate: /c.pem\n    privateKey: /k.pem',
    ),
    path: 'spec.servers[0].tls',
    code: 'conflicting-fields',
  },
  {
    rule: 'TLS versions are named',
    good: https('    mode: PASSTHROUGH\n    minProtocolVersion: TLSV1_2'),
    bad: https('    mode: PASSTHROUGH\n    minProtocolVersion: TLS1.2 # <-'),
    path: 'spec.servers[0].tls.minProtocolVersion',
    code: 'invalid-value',
  },
  {
    rule: 'bind is an IP address or unix socket',
    good: server('{number: 80, name: http, protocol: HTTP}', '  bind: 0.0.0.0'),
    bad: server('{number: 80, name: http, protocol: HTTP}', '  bind: localhost # <-'),
    path: 'spec.servers[0].bind',
    code: 'invalid-address',
  },
  {
    rule: 'unix socket servers use port 0',
    good: server('{number: 0, name: uds, protocol: HTTP}', '  bind: unix:///var/run/gw.sock'),
    bad: `\nservers:\n- port:\n    number: 80 # <-\n    name: uds\n    protocol: HTTP\n  bind: unix:///var/run/gw.sock\n  hosts: ["*"]`,
    path: 'spec.servers[0].port.number',
    code: 'invalid-port',
  },
  {
    rule: 'selector labels are valid',
    good: server('{number: 80, name: http, protocol: HTTP}'),
    bad: '\nselector:\n  istio: "ingress gateway" # <-\nservers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ["*"]',
    path: 'spec.selector.istio',
    code: 'invalid-label',
  },
  {
    rule: 'SIMPLE TLS takes no CRL',
    good: https(
      '    mode: MUTUAL\n    serverCertificate: /c.pem\n    privateKey: /k.pem\n    caCertificates: /ca.pem\n    caCrl: /crl.pem',
    ),
    bad: https(
      '    mode: SIMPLE\n    serverCertificate: /c.pem\n    privateKey: /k.pem\n    caCrl: /crl.pem # <-',
    ),
    path: 'spec.servers[0].tls.caCrl',
    code: 'conflicting-fields',
  },
  {
    rule: 'a CRL comes with the credential',
    good: https('    mode: MUTUAL\n    credentialName: bookinfo-cert'),
    bad: https('    mode: MUTUAL\n    credentialName: bookinfo-cert\n    caCrl: /crl.pem # <-'),
    path: 'spec.servers[0].tls.caCrl',
    code: 'conflicting-fields',
  },
  {
    rule: 'TLS servers can use several certificates',
    good: https(
      '    mode: SIMPLE\n    tlsCertificates:\n    - {serverCertificate: /rsa.pem, privateKey: /rsa.key}\n    - {serverCertificate: /ec.pem, privateKey: /ec.key}',
    ),
    bad: https('    mode: SIMPLE # <-\n    tlsCertificates:\n    - {serverCertificate: /rsa.pem}'),
    path: 'spec.servers[0].tls.mode',
    code: 'missing-field',
  },
  {
    rule: 'a unix socket bind is an absolute path',
    good: server('{number: 0, name: uds, protocol: HTTP}', '  bind: unix://@abstract'),
    bad: server('{number: 0, name: uds, protocol: HTTP}', '  bind: unix://relative/gw.sock # <-'),
    path: 'spec.servers[0].bind',
    code: 'invalid-address',
  },
];

ruleTests('Gateway', cases, test);
