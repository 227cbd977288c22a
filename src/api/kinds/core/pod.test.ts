// PodSpec and Container rules, checked through Pod documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../index.ts';
import { parseQuantity } from './fields.ts';
import { invalid, valid, yaml } from './testing.ts';

/** A Pod whose spec body (indented by two) is given; line 6 is the first line of `spec`. */
const pod = (spec: string) =>
  yaml`
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
    ` + spec;

/** A Pod with one container "app" whose extra fields (indented by four) are given; they start at line 9. */
const withContainer = (fields: string, rest = '') =>
  pod('  containers:\n  - name: app\n    image: nginx\n' + fields + rest);

test('a Pod using most container and pod fields loads into the typed model', () => {
  const [p] = valid(
    withContainer(
      [
        '    command: ["/bin/app"]',
        '    args: ["--port", "8080"]',
        '    ports:',
        '    - containerPort: 8080',
        '      name: http-web',
        '      protocol: TCP',
        '    env:',
        '    - name: POD_NAME',
        '      valueFrom:',
        '        fieldRef:',
        '          fieldPath: metadata.name',
        '    - name: LOG_DIR',
        '      value: /tmp/logs',
        '    envFrom:',
        '    - configMapRef:',
        '        name: settings',
        '    resources:',
        '      requests:',
        '        cpu: 100m',
        '        memory: 64Mi',
        '      limits:',
        '        cpu: 1',
        '        memory: 128Mi',
        '    readinessProbe:',
        '      httpGet:',
        '        path: /healthz',
        '        port: http-web',
        '      periodSeconds: 5',
        '    livenessProbe:',
        '      tcpSocket:',
        '        port: 8080',
        '    volumeMounts:',
        '    - name: config',
        '      mountPath: /etc/app',
        '      readOnly: true',
        '    securityContext:',
        '      runAsUser: 1000',
        '      capabilities:',
        '        drop: ["ALL"]',
        '',
      ].join('\n'),
      [
        '  volumes:',
        '  - name: config',
        '    configMap:',
        '      name: app-config',
        '  serviceAccountName: web',
        '  restartPolicy: Always',
        '  nodeSelector:',
        '    kubernetes.io/os: linux',
        '  tolerations:',
        '  - key: dedicated',
        '    operator: Equal',
        '    value: mesh',
        '    effect: NoSchedule',
        '  affinity:',
        '    nodeAffinity:',
        '      requiredDuringSchedulingIgnoredDuringExecution: {}',
        '  terminationGracePeriodSeconds: 30',
        '',
      ].join('\n'),
    ),
  ) as Pod[];
  const c = p?.spec.containers[0];
  assert.equal(c?.resources?.limits?.cpu, 1);
  assert.equal(c?.readinessProbe?.httpGet?.port, 'http-web');
  assert.equal(p?.spec.volumes?.[0]?.configMap?.name, 'app-config');
  assert.equal(parseQuantity('128Mi'), 128 * 1024 * 1024);
  assert.equal(parseQuantity('100m'), 0.1);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('12 apples'), undefined);
});

test('a pod needs containers, each with a DNS-label name and an image', () => {
  invalid(pod('  containers: []\n'), {
    line: 6,
    path: 'spec.containers',
    code: 'invalid-value',
    message: /at least one container/,
  });
  invalid(pod('  containers:\n  - name: App\n    image: nginx\n'), {
    line: 7,
    path: 'spec.containers[0].name',
    code: 'invalid-name',
  });
  invalid(pod('  containers:\n  - name: app\n'), {
    line: 7,
    path: 'spec.containers[0].image',
    code: 'missing-field',
  });
});

test('container names are unique across containers and init containers', () => {
  invalid(
    pod('  containers:\n  - name: app\n    image: a\n  initContainers:\n  - name: app\n    image: b\n'),
    {
      line: 10,
      path: 'spec.initContainers[0].name',
      code: 'duplicate-name',
    },
  );
});

test('container ports: IANA names, unique per container, numbers in range', () => {
  invalid(withContainer('    ports:\n    - containerPort: 80\n      name: http-web-frontend\n'), {
    line: 11,
    path: 'spec.containers[0].ports[0].name',
    code: 'invalid-name',
    message: /at most 15 characters/,
  });
  invalid(withContainer('    ports:\n    - containerPort: 80\n      name: "8080"\n'), {
    line: 11,
    path: 'spec.containers[0].ports[0].name',
    code: 'invalid-name',
    message: /at least one letter/,
  });
  invalid(
    withContainer(
      '    ports:\n    - containerPort: 80\n      name: http\n    - containerPort: 81\n      name: http\n',
    ),
    {
      line: 13,
      path: 'spec.containers[0].ports[1].name',
      code: 'duplicate-name',
    },
  );
  invalid(withContainer('    ports:\n    - containerPort: 0\n'), {
    line: 10,
    path: 'spec.containers[0].ports[0].containerPort',
    code: 'invalid-value',
  });
  invalid(withContainer('    ports:\n    - name: http\n'), {
    line: 10,
    path: 'spec.containers[0].ports[0].containerPort',
    code: 'missing-field',
  });
});

test('env: valid names, value or valueFrom (not both), one source in valueFrom', () => {
  invalid(withContainer('    env:\n    - name: A=B\n      value: x\n'), {
    line: 10,
    path: 'spec.containers[0].env[0].name',
    code: 'invalid-name',
  });
  invalid(
    withContainer(
      '    env:\n    - name: A\n      value: x\n      valueFrom:\n        secretKeyRef:\n          name: s\n          key: k\n',
    ),
    {
      line: 13,
      path: 'spec.containers[0].env[0].valueFrom',
      code: 'conflicting-fields',
    },
  );
  invalid(withContainer('    env:\n    - name: A\n      valueFrom: {}\n'), {
    line: 11,
    path: 'spec.containers[0].env[0].valueFrom',
    code: 'missing-field',
  });
  invalid(withContainer('    env:\n    - name: PORT\n      value: 8080\n'), {
    line: 11,
    path: 'spec.containers[0].env[0].value',
    code: 'invalid-type',
    message: /quote numbers/,
  });
});

test('resources: quantities parse and requests do not exceed limits', () => {
  invalid(withContainer('    resources:\n      limits:\n        memory: 128 MB\n'), {
    line: 11,
    path: 'spec.containers[0].resources.limits.memory',
    code: 'invalid-quantity',
  });
  invalid(
    withContainer('    resources:\n      requests:\n        cpu: "2"\n      limits:\n        cpu: 500m\n'),
    {
      line: 11,
      path: 'spec.containers[0].resources.requests.cpu',
      code: 'invalid-value',
      message: /less than or equal to the cpu limit 500m/,
    },
  );
});

test('probes: exactly one handler; liveness and startup successThreshold is 1', () => {
  invalid(withContainer('    readinessProbe:\n      periodSeconds: 5\n'), {
    line: 10,
    path: 'spec.containers[0].readinessProbe',
    code: 'missing-field',
  });
  invalid(
    withContainer(
      '    readinessProbe:\n      tcpSocket:\n        port: 80\n      httpGet:\n        port: 80\n',
    ),
    {
      line: 11,
      path: 'spec.containers[0].readinessProbe.tcpSocket',
      code: 'conflicting-fields',
    },
  );
  invalid(
    withContainer(
      '    livenessProbe:\n      successThreshold: 2\n      exec:\n        command: [cat, /ok]\n',
    ),
    {
      line: 10,
      path: 'spec.containers[0].livenessProbe.successThreshold',
      code: 'invalid-value',
    },
  );
  invalid(withContainer('    readinessProbe:\n      httpGet:\n        port: Web\n'), {
    line: 11,
    path: 'spec.containers[0].readinessProbe.httpGet.port',
    code: 'invalid-name',
  });
});

test('volumes: mounts name a defined volume, one source each, unique names and mount paths', () => {
  invalid(
    withContainer(
      '    volumeMounts:\n    - name: data\n      mountPath: /data\n',
      '  volumes:\n  - name: tmp\n    emptyDir: {}\n',
    ),
    {
      line: 10,
      path: 'spec.containers[0].volumeMounts[0].name',
      code: 'not-found',
      hint: /volumes defined: tmp/,
    },
  );
  invalid(
    withContainer('', '  volumes:\n  - name: tmp\n    emptyDir: {}\n    hostPath:\n      path: /tmp\n'),
    {
      line: 13,
      path: 'spec.volumes[0].hostPath',
      code: 'conflicting-fields',
    },
  );
  invalid(withContainer('', '  volumes:\n  - name: tmp\n'), {
    line: 10,
    path: 'spec.volumes[0]',
    code: 'missing-field',
  });
  invalid(
    withContainer('', '  volumes:\n  - name: tmp\n    emptyDir: {}\n  - name: tmp\n    emptyDir: {}\n'),
    {
      line: 12,
      path: 'spec.volumes[1].name',
      code: 'duplicate-name',
    },
  );
  invalid(
    withContainer(
      '    volumeMounts:\n    - name: tmp\n      mountPath: /tmp\n    - name: tmp\n      mountPath: /tmp\n',
      '  volumes:\n  - name: tmp\n    emptyDir: {}\n',
    ),
    { line: 13, path: 'spec.containers[0].volumeMounts[1].mountPath', code: 'duplicate-name' },
  );
});

test('tolerations follow the operator rules', () => {
  invalid(withContainer('', '  tolerations:\n  - key: a\n    operator: Exists\n    value: b\n'), {
    line: 12,
    path: 'spec.tolerations[0].value',
    code: 'conflicting-fields',
  });
  invalid(withContainer('', '  tolerations:\n  - operator: Equal\n    value: b\n'), {
    line: 10,
    path: 'spec.tolerations[0].operator',
    code: 'invalid-value',
  });
  valid(withContainer('', '  tolerations:\n  - operator: Exists\n'));
});

test('restart policies: only init containers take one, and only "Always" (sidecars)', () => {
  invalid(withContainer('    restartPolicy: Always\n'), {
    line: 9,
    path: 'spec.containers[0].restartPolicy',
    code: 'invalid-value',
  });
  invalid(
    withContainer(
      '',
      '  initContainers:\n  - name: init\n    image: busybox\n    readinessProbe:\n      exec:\n        command: ["true"]\n',
    ),
    { line: 13, path: 'spec.initContainers[0].readinessProbe', code: 'invalid-value' },
  );
  valid(
    withContainer(
      '',
      '  initContainers:\n  - name: proxy\n    image: proxy\n    restartPolicy: Always\n    readinessProbe:\n      exec:\n        command: ["true"]\n',
    ),
  );
});

test('dnsPolicy None needs dnsConfig; hostNetwork ports keep the same number', () => {
  invalid(withContainer('', '  dnsPolicy: None\n'), {
    line: 9,
    path: 'spec.dnsPolicy',
    code: 'missing-field',
  });
  invalid(
    withContainer('    ports:\n    - containerPort: 80\n      hostPort: 8080\n', '  hostNetwork: true\n'),
    {
      line: 11,
      path: 'spec.containers[0].ports[0].hostPort',
      code: 'invalid-value',
    },
  );
});

test('security context ids are non-negative; unknown fields get a suggestion or a place', () => {
  invalid(withContainer('    securityContext:\n      runAsUser: -1\n'), {
    line: 10,
    path: 'spec.containers[0].securityContext.runAsUser',
    code: 'invalid-value',
  });
  invalid(withContainer('    imagePulPolicy: Always\n'), {
    line: 9,
    path: 'spec.containers[0].imagePulPolicy',
    code: 'unknown-field',
    hint: /did you mean "imagePullPolicy"/,
  });
  invalid(withContainer('    serviceAccountName: web\n'), {
    line: 9,
    path: 'spec.containers[0].serviceAccountName',
    code: 'unknown-field',
    hint: /"serviceAccountName" is a field of "spec"/,
  });
});
