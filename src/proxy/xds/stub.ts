// The ADS client stubs, one per protocol method, with codecs straight on the shared proto Root (no
// gRPC package definition: the proxy never loads proto-loader).
import * as grpc from '@grpc/grpc-js';
import { messageCodec } from '../../envoy/index.ts';

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

/** The two ADS methods: state of the world and incremental (delta). */
const MESSAGES = {
  StreamAggregatedResources: ['DiscoveryRequest', 'DiscoveryResponse'],
  DeltaAggregatedResources: ['DeltaDiscoveryRequest', 'DeltaDiscoveryResponse'],
} as const;

export type AdsMethod = keyof typeof MESSAGES;

export type AdsStream<Response> = grpc.ClientDuplexStream<Record<string, unknown>, Response>;

export interface AdsStubOptions {
  readonly address: string;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

const constructors = new Map<AdsMethod, grpc.ServiceClientConstructor>();

function constructorOf(method: AdsMethod): grpc.ServiceClientConstructor {
  let made = constructors.get(method);
  if (made) return made;
  const [requestType, responseType] = MESSAGES[method];
  const request = messageCodec(`envoy.service.discovery.v3.${requestType}`);
  const response = messageCodec(`envoy.service.discovery.v3.${responseType}`);
  made = grpc.makeGenericClientConstructor(
    {
      [method]: {
        path: `/${SERVICE}/${method}`,
        requestStream: true,
        responseStream: true,
        requestSerialize: request.encode,
        requestDeserialize: request.decode,
        responseSerialize: response.encode,
        responseDeserialize: response.decode,
      },
    },
    'AggregatedDiscoveryService',
  );
  constructors.set(method, made);
  return made;
}

/** A client of one ADS method; `open()` starts a new stream on the same channel. */
export interface AdsStub<Response> {
  open(): AdsStream<Response>;
  close(): void;
}

export function adsStub<Response>(method: AdsMethod, options: AdsStubOptions): AdsStub<Response> {
  const Stub = constructorOf(method);
  const client = new Stub(options.address, grpc.credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.initial_reconnect_backoff_ms': options.backoffBaseMs,
    'grpc.max_reconnect_backoff_ms': options.backoffMaxMs,
  }) as unknown as grpc.Client & Record<AdsMethod, () => AdsStream<Response>>;
  return {
    open: () => client[method](),
    close: () => client.close(),
  };
}
