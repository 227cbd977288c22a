// The proxy's xDS client: state of the world or incremental ADS, as the bootstrap's api type says,
// behind one interface.
import type { AdsClient, AdsClientOptions } from './ads-client.ts';
import { DeltaAdsClient } from './delta.ts';
import { SotwAdsClient } from './sotw.ts';

export type { AdsClient, AdsClientOptions, TypeHandler } from './ads-client.ts';

/** Envoy's names for the two ADS protocols (ApiConfigSource.api_type). */
export type ApiType = 'GRPC' | 'DELTA_GRPC';

export function createAdsClient(apiType: ApiType, options: AdsClientOptions): AdsClient {
  return apiType === 'GRPC' ? new SotwAdsClient(options) : new DeltaAdsClient(options);
}
