// Simulated sidecars for the control-plane benchmark (run as a child process): each opens an ADS
// stream, subscribes like Envoy (CDS and LDS wildcard, then EDS and RDS for what they name) and
// ACKs every response. Responses stay encoded: only each resource's name (field 1) is read.
import * as grpc from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { CLUSTER_TYPE, ENDPOINT_TYPE, envoyRoot, LISTENER_TYPE, ROUTE_TYPE } from '../src/envoy/index.ts';
import { podAddress, serviceName } from './control-plane-config.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, proxies: { type: 'string' } } });
const port = Number(values.port);
const proxies = Number(values.proxies ?? 100);

const Request = envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryRequest');
const Response = envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryResponse');

interface Resp {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: { value: Uint8Array }[];
}

const ads = {
  path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  requestStream: true,
  responseStream: true,
  requestSerialize: (m: object) => Buffer.from(Request.encode(Request.fromObject(m)).finish()),
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => Response.decode(b) as unknown as Resp,
};
const Client = grpc.makeGenericClientConstructor({ Stream: ads }, 'ADS');

/** Field 1 (a string: the resource name in every xDS type) read straight from the encoding. */
function nameOf(bytes: Uint8Array): string {
  if (bytes[0] !== 0x0a) return '';
  let len = 0;
  let shift = 0;
  let i = 1;
  for (;;) {
    const b = bytes[i++]!;
    len |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + i, len).toString('utf8');
}

function startProxy(index: number, client: grpc.Client): void {
  const { name, namespace } = serviceName(index);
  const ip = podAddress(index, 0);
  const node = {
    id: `sidecar~${ip}~${name}-0.${namespace}~${namespace}.svc.cluster.local`,
    cluster: `${name}.${namespace}`,
    metadata: {
      fields: { NAMESPACE: { stringValue: namespace }, INTERCEPTION_MODE: { stringValue: 'NONE' } },
    },
  };
  const stream = (client as unknown as { Stream: () => grpc.ClientDuplexStream<object, Resp> }).Stream();
  const names = new Map<string, string[]>([
    [CLUSTER_TYPE, []],
    [LISTENER_TYPE, []],
  ]);
  const send = (typeUrl: string, r?: Resp) =>
    stream.write({
      node,
      typeUrl,
      resourceNames: names.get(typeUrl) ?? [],
      versionInfo: r?.versionInfo ?? '',
      responseNonce: r?.nonce ?? '',
    });
  stream.on('data', (r: Resp) => {
    send(r.typeUrl, r);
    if (r.typeUrl === CLUSTER_TYPE) {
      const eds = r.resources.map((x) => nameOf(x.value)).filter((n) => n.startsWith('outbound|'));
      const had = names.get(ENDPOINT_TYPE);
      names.set(ENDPOINT_TYPE, eds);
      if (!had || had.join() !== eds.join()) send(ENDPOINT_TYPE);
    } else if (r.typeUrl === LISTENER_TYPE && !names.has(ROUTE_TYPE)) {
      names.set(ROUTE_TYPE, ['http_proxy']);
      send(ROUTE_TYPE);
    }
  });
  stream.on('error', () => undefined);
  send(CLUSTER_TYPE);
  send(LISTENER_TYPE);
}

// A few channels carry all streams, as many sidecars share a node's network in practice.
const channels = Array.from(
  { length: Math.min(8, proxies) },
  () =>
    new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
    }),
);
for (let i = 0; i < proxies; i++) startProxy(i, channels[i % channels.length]!);
process.send?.({ started: proxies });
process.on('disconnect', () => process.exit(0));
