// Deployment rules: selector present and matching the template labels, strategy, restart policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from '../../index.ts';
import { selectorMatches } from './selector.ts';
import { invalid, valid, yaml } from './testing.ts';

/** A Deployment whose spec (from `replicas`) is given, indented by two. */
const deploy = (spec: string) =>
  yaml`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: appv1
    spec:
    ` + spec;

const template = (labels: string) =>
  `  template:\n    metadata:\n      labels:\n${labels}    spec:\n      containers:\n      - name: nginx\n        image: nginx\n`;

test('selector matching the template labels is valid; the model keeps both', () => {
  const [d] = valid(
    deploy(
      '  selector:\n    matchLabels:\n      app: v1\n      apply: canary\n' +
        template('        app: v1\n        apply: canary\n'),
    ),
  ) as Deployment[];
  assert.deepEqual(d?.spec.selector.matchLabels, { app: 'v1', apply: 'canary' });
  assert.equal(d?.apiVersion, 'apps/v1');
});

test('a selector that does not match the template labels is refused at the labels', () => {
  invalid(
    deploy(
      '  selector:\n    matchLabels:\n      app: v2\n      apply: canary\n' +
        template('        app: v1\n        apply: canary\n'),
    ),
    {
      line: 13,
      path: 'spec.template.metadata.labels',
      code: 'selector-mismatch',
      message:
        /selector does not match template labels: the selector requires app=v2, but the labels have app=v1/,
    },
  );
});

test('matchExpressions select with Kubernetes semantics', () => {
  valid(
    deploy(
      '  selector:\n    matchExpressions:\n    - key: app\n      operator: In\n      values: [v1, v2]\n    - key: canary\n      operator: DoesNotExist\n' +
        template('        app: v1\n'),
    ),
  );
  invalid(
    deploy(
      '  selector:\n    matchExpressions:\n    - key: app\n      operator: NotIn\n      values: [v1]\n' +
        template('        app: v1\n'),
    ),
    {
      line: 14,
      path: 'spec.template.metadata.labels',
      code: 'selector-mismatch',
      message: /app NotIn \(v1\)/,
    },
  );
  invalid(
    deploy(
      '  selector:\n    matchExpressions:\n    - key: app\n      operator: In\n' +
        template('        app: v1\n'),
    ),
    {
      line: 8,
      path: 'spec.selector.matchExpressions[0].values',
      code: 'missing-field',
    },
  );
  invalid(
    deploy(
      '  selector:\n    matchExpressions:\n    - key: app\n      operator: Exists\n      values: [x]\n' +
        template('        app: v1\n'),
    ),
    { line: 10, path: 'spec.selector.matchExpressions[0].values', code: 'conflicting-fields' },
  );
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: '' }), true);
  assert.equal(selectorMatches({}, { a: 'x' }), true);
});

test('the selector is required and must not be empty', () => {
  invalid(deploy(template('        app: v1\n')), { line: 6, path: 'spec.selector', code: 'missing-field' });
  invalid(deploy('  selector: {}\n' + template('        app: v1\n')), {
    line: 6,
    path: 'spec.selector',
    code: 'missing-field',
    message: /non-empty selector/,
  });
});

test('replicas is a non-negative whole number', () => {
  const sel = '  selector:\n    matchLabels:\n      app: v1\n';
  invalid(deploy('  replicas: -1\n' + sel + template('        app: v1\n')), {
    line: 6,
    path: 'spec.replicas',
    code: 'invalid-value',
  });
  invalid(deploy('  replicas: "2"\n' + sel + template('        app: v1\n')), {
    line: 6,
    path: 'spec.replicas',
    code: 'invalid-type',
  });
});

test('strategy: Recreate takes no rollingUpdate; surge and unavailable are not both zero', () => {
  const sel = '  selector:\n    matchLabels:\n      app: v1\n' + template('        app: v1\n');
  valid(
    deploy(
      '  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0\n' +
        sel,
    ),
  );
  invalid(deploy('  strategy:\n    type: Recreate\n    rollingUpdate:\n      maxSurge: 1\n' + sel), {
    line: 9,
    path: 'spec.strategy.rollingUpdate',
    code: 'conflicting-fields',
  });
  invalid(deploy('  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 0%\n' + sel), {
    line: 9,
    path: 'spec.strategy.rollingUpdate.maxUnavailable',
    code: 'invalid-value',
  });
  invalid(deploy('  strategy:\n    rollingUpdate:\n      maxSurge: 25 percent\n' + sel), {
    line: 8,
    path: 'spec.strategy.rollingUpdate.maxSurge',
    code: 'invalid-value',
    message: /percentage such as "25%"/,
  });
});

test("a Deployment's pods restart Always, and progressDeadlineSeconds exceeds minReadySeconds", () => {
  const sel = '  selector:\n    matchLabels:\n      app: v1\n';
  invalid(deploy(sel + template('        app: v1\n') + '      restartPolicy: Never\n'), {
    line: 17,
    path: 'spec.template.spec.restartPolicy',
    code: 'invalid-value',
  });
  invalid(
    deploy('  minReadySeconds: 30\n  progressDeadlineSeconds: 10\n' + sel + template('        app: v1\n')),
    {
      line: 7,
      path: 'spec.progressDeadlineSeconds',
      code: 'invalid-value',
    },
  );
});

test('a Deployment needs a spec and a template', () => {
  invalid(
    yaml`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
  `,
    { line: 1, path: 'spec', code: 'missing-field' },
  );
  invalid(deploy('  selector:\n    matchLabels:\n      app: v1\n'), {
    line: 6,
    path: 'spec.template',
    code: 'missing-field',
  });
});
