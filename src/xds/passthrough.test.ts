// Responses are built framed (wire.ts) and written to every stream as they are (passthrough.ts):
// the bytes must be exactly protobuf's encoding of the response, framed as grpc-js frames it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { ServerInterceptingCallInterface, ServerMethodDefinition } from '@grpc/grpc-js';
import { CLUSTER_TYPE, envoyRoot, ROUTE_TYPE } from '../envoy/index.ts';
import { framedResponses } from './passthrough.ts';
import { encodeDeltaResponse, encodeResponse, FRAME_PREFIX, messageOf } from './wire.ts';

const DiscoveryResponse = envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryResponse');
const DeltaDiscoveryResponse = envoyRoot().lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse');

/** A resources entry as ResourceCache builds it: field 2 holding an encoded message. */
function entry(field: number, message: Uint8Array): Buffer {
  const w = DiscoveryResponse.encode({}).fork();
  w.uint32((field << 3) | 2).bytes(message);
  return Buffer.from(w.finish());
}

test('a framed response is the prefix grpc-js writes, then the message with the entries given', () => {
  const cluster = envoyRoot().lookupType('envoy.config.cluster.v3.Cluster');
  const any = {
    typeUrl: CLUSTER_TYPE,
    value: cluster.encode({ name: 'outbound|80||a.default.svc' }).finish(),
  };
  const anyBytes = envoyRoot().lookupType('google.protobuf.Any').encode(any).finish();
  const frame = encodeResponse(
    { versionInfo: 'v7', typeUrl: CLUSTER_TYPE, nonce: 'n-1', controlPlane: 'caravel' },
    [entry(2, anyBytes), entry(2, anyBytes)],
  );
  const message = messageOf(frame);
  assert.equal(frame[0], 0, 'not compressed');
  assert.equal(frame.readUInt32BE(1), message.length);
  assert.equal(frame.length, FRAME_PREFIX + message.length);
  const decoded = DiscoveryResponse.decode(message) as unknown as Record<string, unknown> & {
    resources: { value: Uint8Array }[];
  };
  assert.equal(decoded.versionInfo, 'v7');
  assert.equal(decoded.typeUrl, CLUSTER_TYPE);
  assert.equal(decoded.nonce, 'n-1');
  assert.deepEqual({ ...(decoded.controlPlane as object) }, { identifier: 'caravel' });
  assert.deepEqual(
    decoded.resources.map((r) => Buffer.from(r.value)),
    [any.value, any.value].map((v) => Buffer.from(v)),
  );

  const resource = envoyRoot()
    .lookupType('envoy.service.discovery.v3.Resource')
    .encode({ name: 'http_proxy', version: 'abc', resource: { typeUrl: ROUTE_TYPE, value: Buffer.alloc(0) } })
    .finish();
  const delta = encodeDeltaResponse(
    { systemVersionInfo: 'v7', typeUrl: ROUTE_TYPE, nonce: 'n-2', controlPlane: 'caravel' },
    [entry(2, resource)],
    ['gone-1', 'gone-2'],
  );
  const deltaMessage = messageOf(delta);
  assert.equal(delta.readUInt32BE(1), deltaMessage.length);
  const d = DeltaDiscoveryResponse.decode(deltaMessage) as unknown as {
    nonce: string;
    removedResources: string[];
    resources: { name: string; version: string }[];
  };
  assert.equal(d.nonce, 'n-2');
  assert.deepEqual(d.removedResources, ['gone-1', 'gone-2']);
  assert.deepEqual(
    d.resources.map((r) => [r.name, r.version]),
    [['http_proxy', 'abc']],
  );
});

// A server with two methods that write the same framed response: one through the pass-through,
// one framed by grpc-js itself.
const PASS = '/caravel.test.Frames/Pass';
const COPY = '/caravel.test.Frames/Copy';
const method = (path: string) => ({
  path,
  requestStream: true,
  responseStream: true,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: messageOf,
  responseDeserialize: (b: Buffer) => b,
});
const FRAME = encodeResponse(
  { versionInfo: 'v1', typeUrl: ROUTE_TYPE, nonce: 'n', controlPlane: 'caravel' },
  [Buffer.alloc(300_000, 7)],
);
let server: grpc.Server;
let port: number;
/** Per call path: whether grpc-js's framing step was replaced (the frame comes back as it is). */
const asIs = new Map<string, boolean>();

before(async () => {
  const passthrough = framedResponses(new Set([PASS]));
  server = new grpc.Server({
    interceptors: [
      (m: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface) => {
        const next = passthrough(m, call);
        const framing = (call as unknown as { serializeMessage: (b: Buffer) => Buffer }).serializeMessage;
        asIs.set(m.path, framing.call(call, FRAME) === FRAME);
        return next;
      },
    ],
  });
  const serve = (stream: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    stream.on('data', () => stream.write(FRAME));
    stream.on('end', () => stream.end());
  };
  server.addService({ Pass: method(PASS), Copy: method(COPY) }, { Pass: serve, Copy: serve });
  port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
});

after(() => server.forceShutdown());

async function receive(path: string): Promise<Buffer> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    path,
    (b: Buffer) => b,
    (b: Buffer) => b,
  );
  call.on('error', () => undefined);
  const got = new Promise<Buffer>((resolve) => call.once('data', resolve));
  call.write(Buffer.from('hi'));
  const bytes = await got;
  call.end();
  client.close();
  return bytes;
}

test('on the methods named, the framed response is written as it is, with the bytes grpc-js would frame', async () => {
  const passed = await receive(PASS);
  const copied = await receive(COPY);
  assert.equal(asIs.get(PASS), true, 'grpc-js’s framing step is replaced on this method');
  assert.equal(asIs.get(COPY), false, 'and left alone elsewhere');
  assert.deepEqual(passed, messageOf(FRAME));
  assert.deepEqual(copied, passed);
});
