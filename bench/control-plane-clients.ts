// Simulated sidecars for the control-plane benchmark (run as a child process): each opens an ADS
// stream, state of the world or incremental (--delta), subscribes like Envoy (CDS and LDS wildcard,
// then EDS and RDS for what they name) and ACKs every response. Responses are read field by field
// and resources stay encoded: only the names of clusters are read.
//
// The transport is a lean gRPC client over node:http2 (control-plane-grpc.ts), as cheap per message
// as Envoy's; `--client grpc-js` uses grpc-js's client instead (about three times the CPU for the
// same messages).
import * as grpc from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { CLUSTER_TYPE, ENDPOINT_TYPE, envoyRoot, LISTENER_TYPE, ROUTE_TYPE } from '../src/envoy/index.ts';
import type { ClientCommand } from './control-plane.ts';
import { podAddress, serviceName } from './control-plane-config.ts';
import type { BidiStream } from './control-plane-grpc.ts';
import { eachField, openStream, Pieces } from './control-plane-grpc.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    proxies: { type: 'string' },
    delta: { type: 'boolean' },
    client: { type: 'string', default: 'h2' },
  },
});
const port = Number(values.port);
const proxies = Number(values.proxies ?? 100);
if (values.client !== 'h2' && values.client !== 'grpc-js')
  throw new Error(`--client must be h2 or grpc-js, not "${values.client}"`);

const Request = envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryRequest');
const DeltaRequest = envoyRoot().lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
const SOTW_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const DELTA_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

/** A string field's value. */
function text(b: Pieces, from: number, to: number): string {
  return b.slice(from, to).toString();
}

/** What the simulator reads of a DiscoveryResponse: resources stay encoded. */
interface Resp {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  /** The names of the resources (read for clusters only). */
  names: () => string[];
}

function readResponse(b: Pieces): Resp {
  const resources: [number, number][] = [];
  const r: Resp = {
    versionInfo: '',
    typeUrl: '',
    nonce: '',
    names: () => resources.map(([f, t]) => anyName(b, f, t)),
  };
  eachField(b, 0, b.length, (field, from, to) => {
    if (field === 1) r.versionInfo = text(b, from, to);
    else if (field === 2) resources.push([from, to]);
    else if (field === 4) r.typeUrl = text(b, from, to);
    else if (field === 5) r.nonce = text(b, from, to);
  });
  return r;
}

/** The name of the resource inside an encoded Any (its field 2): the resource's field 1 (the name
 * in every xDS type), read when it comes first. */
function anyName(b: Pieces, from: number, to: number): string {
  let name = '';
  eachField(b, from, to, (field, at) => {
    if (field !== 2 || b.byte(at) !== 0x0a) return;
    let i = at + 1;
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b.byte(i++);
      len += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    name = text(b, i, i + len);
  });
  return name;
}

/** What the simulator reads of a DeltaDiscoveryResponse. */
interface DeltaResp {
  typeUrl: string;
  nonce: string;
  /** The names of the resources (envoy.service.discovery.v3.Resource, field 3). */
  names: string[];
  removedResources: string[];
}

function readDeltaResponse(b: Pieces): DeltaResp {
  const r: DeltaResp = { typeUrl: '', nonce: '', names: [], removedResources: [] };
  eachField(b, 0, b.length, (field, from, to) => {
    if (field === 2) {
      let name = '';
      eachField(b, from, to, (f, nFrom, nTo) => {
        if (f === 3) name = text(b, nFrom, nTo);
      });
      r.names.push(name);
    } else if (field === 4) r.typeUrl = text(b, from, to);
    else if (field === 5) r.nonce = text(b, from, to);
    else if (field === 6) r.removedResources.push(text(b, from, to));
  });
  return r;
}

// One connection per sidecar, as Envoy opens one to its xDS server, with Envoy's default HTTP/2
// windows (256 MiB per stream and per connection) rather than the 64 KB HTTP/2 starts with.
const ENVOY_WINDOW = 256 * 1024 * 1024;

/** An ADS stream over the chosen transport; `onMessage` gets each response as received. */
function adsStream(path: string, onMessage: (m: Pieces) => void): BidiStream {
  if (values.client === 'h2') return openStream(port, path, ENVOY_WINDOW, onMessage);
  // A local subchannel pool keeps grpc-js from sharing one connection between clients.
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.use_local_subchannel_pool': 1,
    'grpc-node.flow_control_window': ENVOY_WINDOW,
  });
  const call = client.makeBidiStreamRequest(
    path,
    (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length),
    (b: Buffer) => Pieces.of(b),
  );
  call.on('data', onMessage);
  call.on('error', () => undefined);
  return { write: (m) => call.write(m) };
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

function startProxy(index: number): void {
  const node = nodeOnce(index);
  const names = new Map<string, string[]>([
    [CLUSTER_TYPE, []],
    [LISTENER_TYPE, []],
  ]);
  const send = (typeUrl: string, r?: Resp) =>
    stream.write(
      Request.encode(
        Request.fromObject({
          ...node(),
          typeUrl,
          resourceNames: names.get(typeUrl) ?? [],
          versionInfo: r?.versionInfo ?? '',
          responseNonce: r?.nonce ?? '',
        }),
      ).finish(),
    );
  const stream = adsStream(SOTW_PATH, (m) => {
    const r = readResponse(m);
    send(r.typeUrl, r);
    if (r.typeUrl === CLUSTER_TYPE) {
      const eds = r.names().filter((n) => n.startsWith('outbound|'));
      const had = names.get(ENDPOINT_TYPE);
      names.set(ENDPOINT_TYPE, eds);
      if (!had || had.join() !== eds.join()) send(ENDPOINT_TYPE);
    } else if (r.typeUrl === LISTENER_TYPE && !names.has(ROUTE_TYPE)) {
      names.set(ROUTE_TYPE, ['http_proxy']);
      send(ROUTE_TYPE);
    }
  });
  send(CLUSTER_TYPE);
  send(LISTENER_TYPE);
}

/** Envoy's incremental client: CDS and LDS by wildcard, EDS subscriptions following the clusters
 * it holds, RDS for the route its listener names. */
function startDeltaProxy(index: number): void {
  const node = nodeOnce(index);
  const clusters = new Set<string>();
  let routes = false;
  const send = (typeUrl: string, m: object = {}) =>
    stream.write(DeltaRequest.encode(DeltaRequest.fromObject({ ...node(), typeUrl, ...m })).finish());
  const stream = adsStream(DELTA_PATH, (m) => {
    const r = readDeltaResponse(m);
    if (r.typeUrl === CLUSTER_TYPE) {
      const subscribe: string[] = [];
      const unsubscribe: string[] = [];
      for (const name of r.names)
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
  send(CLUSTER_TYPE);
  send(LISTENER_TYPE);
}

for (let i = 0; i < proxies; i++) (values.delta ? startDeltaProxy : startProxy)(i);

// The benchmark asks for the CPU time used so far, or to profile a change.
let session: Session | undefined;
process.on('message', async (command: ClientCommand) => {
  if (command.op === 'profile') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  } else if (command.op === 'save' && session) {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    writeFileSync(command.file, JSON.stringify(profile));
  }
  const used = process.cpuUsage();
  process.send?.((used.user + used.system) / 1000);
});
process.on('disconnect', () => process.exit(0));
