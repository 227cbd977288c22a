import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, HCM_TYPE, LISTENER_TYPE, packAny, unpackAny } from './index.ts';

test('a cluster survives Any packing with its nested Any typed config intact', () => {
  const cluster = {
    name: 'outbound|9080|v1|reviews.default.svc.cluster.local',
    type: 'EDS',
    connectTimeout: { seconds: '10' },
    edsClusterConfig: {
      edsConfig: { ads: {} },
      serviceName: 'outbound|9080|v1|reviews.default.svc.cluster.local',
    },
  };
  const any = packAny(CLUSTER_TYPE, cluster);
  assert.ok(any.value.length > 20);
  const back = unpackAny<typeof cluster>(any);
  assert.equal(back.name, cluster.name);
  assert.equal(back.type, 'EDS');
  assert.equal(back.connectTimeout.seconds, '10');
  assert.equal(back.edsClusterConfig.serviceName, cluster.name);
});

test('nested Any fields carry their type by "@type"', () => {
  const listener = {
    name: 'virtualOutbound',
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': HCM_TYPE,
              statPrefix: 'outbound_0.0.0.0_15001',
              rds: { routeConfigName: '9080' },
            },
          },
        ],
      },
    ],
  };
  const back = unpackAny<typeof listener>(packAny(LISTENER_TYPE, listener));
  const typed = back.filterChains[0]?.filters[0]?.typedConfig;
  assert.equal(typed?.['@type'], HCM_TYPE);
  assert.equal(typed?.statPrefix, 'outbound_0.0.0.0_15001');
});
