// The one place HTTP filters and load-balancing policies register by name.
import { registerHttpFilter } from './http/filters/registry.ts';
import { corsFilter } from './http/filters/cors.ts';
import { faultFilter } from './http/filters/fault.ts';
import { routerFilter } from './http/router.ts';
import { leastRequest, random, roundRobin } from './upstream/lb/basic.ts';
import { maglev, ringHash } from './upstream/lb/hashing.ts';
import { registerLoadBalancer } from './upstream/lb/types.ts';

let done = false;

export function register(): void {
  if (done) return;
  done = true;
  registerHttpFilter(corsFilter);
  registerHttpFilter(faultFilter);
  registerHttpFilter(routerFilter);
  registerLoadBalancer('ROUND_ROBIN', (hosts) => roundRobin(hosts));
  registerLoadBalancer('LEAST_REQUEST', (hosts, c) => leastRequest(hosts, c.choiceCount));
  registerLoadBalancer('RANDOM', (hosts) => random(hosts));
  registerLoadBalancer('RING_HASH', (hosts, c) =>
    ringHash(hosts, c.ringHash.minRingSize, c.ringHash.maxRingSize),
  );
  registerLoadBalancer('MAGLEV', (hosts, c) => maglev(hosts, c.maglevTableSize));
}
