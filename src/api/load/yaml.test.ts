import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSources } from './yaml.ts';

test('a list written after a key that has a value is explained at its line', () => {
  const text = [
    'apiVersion: networking.istio.io/v1beta1',
    'kind: VirtualService',
    'metadata:',
    '  name: nginx-vs',
    'spec:',
    '  hosts:',
    '  - nginx-svc',
    '  http:',
    '  - route:',
    '    timeout: 2s # the mistake',
    '    - destination:',
    '        host: nginx-svc',
  ].join('\n');
  const { documents, issues } = parseSources([{ file: 'vs.yaml', text }]);
  assert.equal(documents.length, 0);
  assert.equal(issues.length, 1);
  const [issue] = issues;
  assert.equal(issue?.line, 11);
  assert.equal(issue?.code, 'yaml-structure');
  assert.match(issue?.message ?? '', /line 10, "timeout: 2s"/);
  assert.match(issue?.hint ?? '', /"timeout" is not part of "route"/);
});

test('positions are recorded for keys and values of every field', () => {
  const text = 'a:\n  b:\n  - c: 1\n    d: x\n';
  const { documents } = parseSources([{ file: 'f.yaml', text }]);
  const doc = documents[0]!;
  assert.deepEqual(doc.positions.get('a.b[0].d'), {
    key: { line: 4, column: 5 },
    value: { line: 4, column: 8 },
  });
});
