import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, LISTENER_TYPE } from '../envoy/index.ts';
import { startHarness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness({ readiness: true });
});

after(async () => {
  await h.close();
});

test('a gateway with nothing to serve yet accepts empty responses and becomes ready', async () => {
  // proto3 encodes an empty resource list as no field at all; the proxy must read that as "none".
  // push() resolves once both are ACKed: with no clusters or listeners, nothing else is asked for.
  await h.push({ clusters: [], listeners: [] });
  const readyUrl = `http://127.0.0.1:${h.proxy.admin.port('readiness')}/healthz/ready`;
  assert.equal((await fetch(readyUrl)).status, 200);
  for (const type of [CLUSTER_TYPE, LISTENER_TYPE]) {
    const ack = await h.ads.waitFor(
      (r) => r.typeUrl === type && r.versionInfo !== '' && r.errorDetail === undefined,
    );
    assert.equal(ack.versionInfo, h.ads.version(type));
  }
});
