import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MethodDefinition } from '@grpc/proto-loader';
import { CLUSTER_TYPE, discoveryPackageDefinition, messageCodec, packAny } from './index.ts';

const ADS = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

test('messageCodec gives the same shapes as the gRPC stubs of the package definition', () => {
  const method = (discoveryPackageDefinition()[ADS] as Record<string, MethodDefinition<object, object>>)
    .StreamAggregatedResources!;
  const cluster = packAny(CLUSTER_TYPE, {
    name: 'outbound|80||web.default.svc.cluster.local',
    type: 'EDS',
    connectTimeout: { seconds: '10', nanos: 5 },
    lbPolicy: 'LEAST_REQUEST',
  });
  const response = messageCodec('envoy.service.discovery.v3.DiscoveryResponse');
  const bytes = response.encode({
    versionInfo: '7',
    typeUrl: CLUSTER_TYPE,
    nonce: 'n1',
    // google.protobuf.Any comes from protobufjs's bundled JSON, with its field names as written.
    resources: [{ type_url: cluster.typeUrl, value: cluster.value }],
  });
  const ours = response.decode(bytes);
  assert.deepEqual(ours, method.responseDeserialize(bytes));
  const [resource] = ours.resources as Record<string, unknown>[];
  assert.equal(resource!['@type'], CLUSTER_TYPE);
  assert.equal(resource!.lbPolicy, 'LEAST_REQUEST');
  assert.deepEqual(resource!.connectTimeout, { seconds: '10', nanos: 5 });

  const request = messageCodec('envoy.service.discovery.v3.DiscoveryRequest');
  const ask = {
    versionInfo: '7',
    node: { id: 'sidecar~127.0.0.1~a.b~b.svc.cluster.local', cluster: 'a.b' },
    resourceNames: ['x', 'y'],
    typeUrl: CLUSTER_TYPE,
    responseNonce: 'n1',
    errorDetail: { code: 3, message: 'bad cluster' },
  };
  assert.deepEqual(request.encode(ask), method.requestSerialize(ask));
  assert.deepEqual(request.decode(request.encode(ask)), ask);
  assert.throws(() => response.decode(Buffer.from([0x0a, 0xff])));
});
