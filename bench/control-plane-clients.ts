// Simulated sidecars for the control-plane benchmark (run as a child process): each opens an ADS
// stream, state of the world or incremental (--delta), subscribes like Envoy (CDS and LDS wildcard,
// then EDS and RDS for what they name) and ACKs every response. Responses are read field by field
// and resources stay encoded: only the names of clusters are read.
import * as grpc from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { CLUSTER_TYPE, ENDPOINT_TYPE, envoyRoot, LISTENER_TYPE, ROUTE_TYPE } from '../src/envoy/index.ts';
import { podAddress, serviceName } from './control-plane-config.ts';

const { values } = parseArgs({
  options: { port: { type: 'string' }, proxies: { type: 'string' }, delta: { type: 'boolean' } },
});
const port = Number(values.port);
const proxies = Number(values.proxies ?? 100);

const Request = envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryRequest');
const DeltaRequest = envoyRoot().lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');

/** Calls `visit` with each length-delimited field of an encoded message; others are skipped. */
function eachField(b: Buffer, visit: (field: number, value: Buffer) => void): void {
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[i++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return v;
    }
  };
  while (i < b.length) {
    const tag = varint();
    const wire = tag % 8;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else {
      const len = varint();
      visit(Math.floor(tag / 8), b.subarray(i, i + len));
      i += len;
    }
  }
}

/** What the simulator reads of a DiscoveryResponse: resources stay encoded. */
interface Resp {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  /** google.protobuf.Any, encoded. */
  resources: Buffer[];
}

function readResponse(b: Buffer): Resp {
  const r: Resp = { versionInfo: '', typeUrl: '', nonce: '', resources: [] };
  eachField(b, (field, v) => {
    if (field === 1) r.versionInfo = v.toString();
    else if (field === 2) r.resources.push(v);
    else if (field === 4) r.typeUrl = v.toString();
    else if (field === 5) r.nonce = v.toString();
  });
  return r;
}

/** The resource inside an encoded Any (its field 2). */
function anyValue(any: Buffer): Buffer {
  let value = any.subarray(0, 0);
  eachField(any, (field, v) => {
    if (field === 2) value = v;
  });
  return value;
}

const ads = {
  path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  requestStream: true,
  responseStream: true,
  requestSerialize: (m: object) => Buffer.from(Request.encode(Request.fromObject(m)).finish()),
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: readResponse,
};

/** What the simulator reads of a DeltaDiscoveryResponse. */
interface DeltaResp {
  typeUrl: string;
  nonce: string;
  /** envoy.service.discovery.v3.Resource, encoded. */
  resources: Buffer[];
  removedResources: string[];
}

function readDeltaResponse(b: Buffer): DeltaResp {
  const r: DeltaResp = { typeUrl: '', nonce: '', resources: [], removedResources: [] };
  eachField(b, (field, v) => {
    if (field === 2) r.resources.push(v);
    else if (field === 4) r.typeUrl = v.toString();
    else if (field === 5) r.nonce = v.toString();
    else if (field === 6) r.removedResources.push(v.toString());
  });
  return r;
}

/** The name of an encoded Resource (its field 3). */
function resourceName(resource: Buffer): string {
  let name = '';
  eachField(resource, (field, v) => {
    if (field === 3) name = v.toString();
  });
  return name;
}

const deltaAds = {
  path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
  requestStream: true,
  responseStream: true,
  requestSerialize: (m: object) => Buffer.from(DeltaRequest.encode(DeltaRequest.fromObject(m)).finish()),
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: readDeltaResponse,
};
const Client = grpc.makeGenericClientConstructor({ Stream: ads, Delta: deltaAds }, 'ADS');

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

function nodeOf(index: number): object {
  const { name, namespace } = serviceName(index);
  const ip = podAddress(index, 0);
  return {
    id: `sidecar~${ip}~${name}-0.${namespace}~${namespace}.svc.cluster.local`,
    cluster: `${name}.${namespace}`,
    metadata: {
      fields: { NAMESPACE: { stringValue: namespace }, INTERCEPTION_MODE: { stringValue: 'NONE' } },
    },
  };
}

/** Istio's bootstrap sets set_node_on_first_message_only: the node goes with the first request. */
function nodeOnce(index: number): () => { node?: object } {
  let node: object | undefined = nodeOf(index);
  return () => {
    const first = node ? { node } : {};
    node = undefined;
    return first;
  };
}

function startProxy(index: number, client: grpc.Client): void {
  const node = nodeOnce(index);
  const stream = (client as unknown as { Stream: () => grpc.ClientDuplexStream<object, Resp> }).Stream();
  const names = new Map<string, string[]>([
    [CLUSTER_TYPE, []],
    [LISTENER_TYPE, []],
  ]);
  const send = (typeUrl: string, r?: Resp) =>
    stream.write({
      ...node(),
      typeUrl,
      resourceNames: names.get(typeUrl) ?? [],
      versionInfo: r?.versionInfo ?? '',
      responseNonce: r?.nonce ?? '',
    });
  stream.on('data', (r: Resp) => {
    send(r.typeUrl, r);
    if (r.typeUrl === CLUSTER_TYPE) {
      const eds = r.resources.map((x) => nameOf(anyValue(x))).filter((n) => n.startsWith('outbound|'));
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

/** Envoy's incremental client: CDS and LDS by wildcard, EDS subscriptions following the clusters
 * it holds, RDS for the route its listener names. */
function startDeltaProxy(index: number, client: grpc.Client): void {
  const node = nodeOnce(index);
  const stream = (client as unknown as { Delta: () => grpc.ClientDuplexStream<object, DeltaResp> }).Delta();
  const clusters = new Set<string>();
  let routes = false;
  const send = (typeUrl: string, m: object = {}) => stream.write({ ...node(), typeUrl, ...m });
  stream.on('data', (r: DeltaResp) => {
    if (r.typeUrl === CLUSTER_TYPE) {
      const subscribe: string[] = [];
      const unsubscribe: string[] = [];
      for (const name of r.resources.map(resourceName))
        if (name.startsWith('outbound|') && !clusters.has(name)) {
          clusters.add(name);
          subscribe.push(name);
        }
      for (const name of r.removedResources) if (clusters.delete(name)) unsubscribe.push(name);
      if (subscribe.length || unsubscribe.length)
        send(ENDPOINT_TYPE, { resourceNamesSubscribe: subscribe, resourceNamesUnsubscribe: unsubscribe });
    } else if (r.typeUrl === LISTENER_TYPE && !routes) {
      routes = true;
      send(ROUTE_TYPE, { resourceNamesSubscribe: ['http_proxy'] });
    }
    send(r.typeUrl, { responseNonce: r.nonce });
  });
  stream.on('error', () => undefined);
  send(CLUSTER_TYPE);
  send(LISTENER_TYPE);
}

// One connection per sidecar, as Envoy opens one to its xDS server, with Envoy's default HTTP/2
// windows (256 MiB per stream and per connection) rather than the 64 KB HTTP/2 starts with. A
// local subchannel pool keeps grpc-js from sharing one connection between clients.
const ENVOY_WINDOW = 256 * 1024 * 1024;
for (let i = 0; i < proxies; i++)
  (values.delta ? startDeltaProxy : startProxy)(
    i,
    new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.use_local_subchannel_pool': 1,
      'grpc-node.flow_control_window': ENVOY_WINDOW,
    }),
  );
process.on('message', () => {
  const used = process.cpuUsage();
  process.send?.((used.user + used.system) / 1000);
});
process.on('disconnect', () => process.exit(0));
