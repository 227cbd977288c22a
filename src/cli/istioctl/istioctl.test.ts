// The istioctl renderers on inputs the live-mesh tests cannot produce on demand: a NACK, a STALE
// type, Kubernetes-style route domains, v1alpha3 config paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeManagement, parseClusterName } from './names.ts';
import { describeDomains } from './routes.ts';
import { nackLines, statusTable } from './status.ts';

test('proxy-status shows a NACKed type as ERROR and says why the proxy rejected it', () => {
  const row = {
    proxy: 'sidecar~127.1.0.2~productpage-v1-abc.default~default.svc.cluster.local',
    cluster_id: 'Kubernetes',
    istio_version: '',
    CDS: 'SYNCED',
    LDS: 'NACK',
    EDS: 'STALE',
    RDS: 'NOT SENT',
    listener_nack: {
      version: '3',
      error: 'listener 127.1.0.2_9080: address already in use',
      at: '2026-01-01T00:00:00.000Z',
    },
  };
  const [header, line] = statusTable([row], 'caravel-1', '0.1.0');
  assert.equal(
    header,
    'NAME                           CLUSTER        CDS        LDS       EDS       RDS          ECDS         ISTIOD        VERSION',
  );
  assert.deepEqual(line!.split(/\s{2,}/), [
    'productpage-v1-abc.default',
    'Kubernetes',
    'SYNCED',
    'ERROR',
    'STALE',
    'NOT SENT',
    'NOT SENT',
    'caravel-1',
    '0.1.0',
  ]);
  assert.deepEqual(nackLines(row), [
    'LDS rejected by the proxy at 2026-01-01T00:00:00.000Z: listener 127.1.0.2_9080: address already in use',
  ]);
});

test('route domains: short names first, long forms and ports dropped, two at most', () => {
  const domains = [
    'reviews.default.svc.cluster.local',
    'reviews.default.svc.cluster.local:9080',
    'reviews',
    'reviews:9080',
    'reviews.default.svc',
    'reviews.default.svc:9080',
    'reviews.default',
    'reviews.default:9080',
    '10.96.0.12',
    '10.96.0.12:9080',
  ];
  assert.equal(describeDomains(domains), 'reviews, reviews.default + 1 more...');
  assert.equal(describeDomains(['*']), '*');
  assert.equal(describeDomains(['a.ns.svc.cluster.local:80', 'a.ns:80', 'a:80']), 'a.ns:80, a:80');
});

test('cluster names and config paths read back as istioctl reads them', () => {
  assert.deepEqual(parseClusterName('outbound|9080|v1|reviews.default.svc.cluster.local'), {
    direction: 'outbound',
    port: 9080,
    subset: 'v1',
    fqdn: 'reviews.default.svc.cluster.local',
    istio: true,
  });
  assert.equal(parseClusterName('BlackHoleCluster').istio, false);
  const meta = (config: string) => ({ filter_metadata: { istio: { config } } });
  assert.equal(
    describeManagement(
      meta('/apis/networking.istio.io/v1alpha3/namespaces/default/destination-rule/reviews'),
    ),
    'reviews.default',
  );
  assert.equal(describeManagement(meta('/somewhere/else')), '<unknown>');
  assert.equal(describeManagement(undefined), '');
});
