import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTexts } from '../index.ts';
import { BOOKINFO, analyzeFixtures, summary } from '../testing.ts';

test('policies of one scope that disagree are reported on the newer ones, for mesh, namespace and workload', () => {
  const ms = analyzeFixtures([...BOOKINFO, 'broken/peer-authentication.yaml']);
  assert.deepEqual(ms.map(summary), [
    'CVL1006 PeerAuthentication default/reviews-v1 broken/peer-authentication.yaml:62',
    'CVL1006 PeerAuthentication default/strict broken/peer-authentication.yaml:37',
    'CVL1006 PeerAuthentication istio-system/permissive broken/peer-authentication.yaml:19',
  ]);
  assert.deepEqual(
    ms.map((m) => m.message),
    [
      'This PeerAuthentication (mTLS DISABLE) and default/reviews (mTLS STRICT) are both policies of workload default/reviews-v1; only the older one, default/reviews, applies.',
      'This PeerAuthentication (mTLS STRICT) and default/default (mTLS PERMISSIVE) are both namespace-wide policies of default; only the older one, default/default, applies.',
      'This PeerAuthentication (mTLS PERMISSIVE) and istio-system/default (mTLS STRICT) are both mesh-wide policies; only the older one, istio-system/default, applies.',
    ],
  );
});

test('one policy per scope, or policies that agree, are not reported', () => {
  assert.deepEqual(analyzeFixtures([...BOOKINFO, 'silent/peer-authentication-ok.yaml']), []);
});

test('the oldest policy is the one creationTimestamp names, not the first in the files', () => {
  const policy = (name: string, mode: string, created: string) =>
    [
      'apiVersion: security.istio.io/v1',
      'kind: PeerAuthentication',
      'metadata:',
      `  name: ${name}`,
      '  namespace: istio-system',
      `  creationTimestamp: "${created}"`,
      'spec:',
      '  mtls:',
      `    mode: ${mode}`,
    ].join('\n');
  const text = [
    policy('newer', 'DISABLE', '2026-02-01T00:00:00Z'),
    policy('older', 'STRICT', '2026-01-01T00:00:00Z'),
  ];
  const { messages } = analyzeTexts([{ file: 'pa.yaml', text: text.join('\n---\n') }], {
    allNamespaces: true,
  });
  assert.deepEqual(messages.map(summary), ['CVL1006 PeerAuthentication istio-system/newer pa.yaml:9']);
  assert.match(messages[0]!.message, /only the older one, istio-system\/older, applies/);
});
