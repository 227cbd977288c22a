// Service rules: ports, names, types, target ports and the fields each type allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../../index.ts';
import { invalid, valid, yaml } from './testing.ts';

const svc = (spec: string) =>
  yaml`
    apiVersion: v1
    kind: Service
    metadata:
      name: web
    spec:
    ` + spec;

test('a Service with one unnamed port, or several named ones, is valid', () => {
  valid(svc('  ports:\n  - port: 80\n'));
  const [s] = valid(
    svc(
      '  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: http-web\n  - name: grpc\n    port: 9090\n    targetPort: 9090\n    appProtocol: grpc\n',
    ),
  ) as Service[];
  assert.deepEqual(s?.spec.ports?.[0], { name: 'http', port: 80, targetPort: 'http-web' });
});

test('a Service needs ports unless headless or ExternalName', () => {
  invalid(svc('  selector:\n    app: web\n'), { line: 6, path: 'spec.ports', code: 'missing-field' });
  valid(svc('  clusterIP: None\n  selector:\n    app: web\n'));
  valid(svc('  type: ExternalName\n  externalName: api.example.com\n'));
});

test('each port needs a name when there are several, as Kubernetes requires', () => {
  invalid(svc('  ports:\n  - name: http\n    port: 80\n  - port: 443\n'), {
    line: 9,
    path: 'spec.ports[1].name',
    code: 'missing-field',
    hint: /protocol/,
  });
});

test('port names are unique and port/protocol pairs too', () => {
  invalid(svc('  ports:\n  - name: http\n    port: 80\n  - name: http\n    port: 81\n'), {
    line: 9,
    path: 'spec.ports[1].name',
    code: 'duplicate-name',
  });
  invalid(svc('  ports:\n  - name: a\n    port: 80\n  - name: b\n    port: 80\n'), {
    line: 10,
    path: 'spec.ports[1].port',
    code: 'duplicate-name',
  });
  valid(svc('  ports:\n  - name: dns\n    port: 53\n  - name: dns-udp\n    port: 53\n    protocol: UDP\n'));
});

test('port names are DNS labels and port numbers are in range', () => {
  invalid(svc('  ports:\n  - name: HTTP\n    port: 80\n'), {
    line: 7,
    path: 'spec.ports[0].name',
    code: 'invalid-name',
  });
  invalid(svc('  ports:\n  - port: 70000\n'), {
    line: 7,
    path: 'spec.ports[0].port',
    code: 'invalid-value',
    message: /at most 65535/,
  });
});

test('targetPort is a port number or an IANA port name', () => {
  invalid(svc('  ports:\n  - port: 80\n    targetPort: http_web\n'), {
    line: 8,
    path: 'spec.ports[0].targetPort',
    code: 'invalid-name',
    message: /lower-case letters, digits and "-"/,
  });
  invalid(svc('  ports:\n  - port: 80\n    targetPort: 0\n'), {
    line: 8,
    path: 'spec.ports[0].targetPort',
    code: 'invalid-value',
  });
});

test('protocol and type are enums with a suggestion', () => {
  invalid(svc('  ports:\n  - port: 80\n    protocol: tcp\n'), {
    line: 8,
    path: 'spec.ports[0].protocol',
    code: 'invalid-value',
    hint: /did you mean "TCP"/,
  });
  invalid(svc('  type: Nodeport\n  ports:\n  - port: 80\n'), {
    line: 6,
    path: 'spec.type',
    code: 'invalid-value',
    hint: /NodePort/,
  });
});

test('nodePort only for NodePort and LoadBalancer Services', () => {
  valid(svc('  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30080\n'));
  invalid(svc('  ports:\n  - port: 80\n    nodePort: 30080\n'), {
    line: 8,
    path: 'spec.ports[0].nodePort',
    code: 'conflicting-fields',
  });
});

test('ExternalName needs externalName and no clusterIP', () => {
  invalid(svc('  type: ExternalName\n'), { line: 6, path: 'spec.externalName', code: 'missing-field' });
  invalid(svc('  type: ExternalName\n  externalName: db.example.com\n  clusterIP: 10.0.0.1\n'), {
    line: 8,
    path: 'spec.clusterIP',
    code: 'conflicting-fields',
  });
  invalid(svc('  type: ExternalName\n  externalName: Not_A_Host\n'), {
    line: 7,
    path: 'spec.externalName',
    code: 'invalid-name',
  });
});

test('clusterIP is None, empty or an IP; session affinity config needs ClientIP', () => {
  invalid(svc('  clusterIP: 10.0.0.300\n  ports:\n  - port: 80\n'), {
    line: 6,
    path: 'spec.clusterIP',
    code: 'invalid-address',
  });
  valid(
    svc(
      '  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 60\n  ports:\n  - port: 80\n',
    ),
  );
  invalid(
    svc('  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 60\n  ports:\n  - port: 80\n'),
    {
      line: 7,
      path: 'spec.sessionAffinityConfig',
      code: 'conflicting-fields',
    },
  );
  valid(svc('  type: LoadBalancer\n  externalTrafficPolicy: Local\n  ports:\n  - port: 80\n'));
  invalid(svc('  externalTrafficPolicy: Local\n  ports:\n  - port: 80\n'), {
    line: 6,
    path: 'spec.externalTrafficPolicy',
    code: 'conflicting-fields',
  });
});

test('the selector is a label map and unknown fields are refused with a suggestion', () => {
  invalid(svc('  selector:\n    app: true\n  ports:\n  - port: 80\n'), {
    line: 7,
    path: 'spec.selector.app',
    code: 'invalid-type',
  });
  invalid(svc('  ports:\n  - port: 80\n  selectr:\n    app: web\n'), {
    line: 8,
    path: 'spec.selectr',
    code: 'unknown-field',
    hint: /did you mean "selector"/,
  });
});
