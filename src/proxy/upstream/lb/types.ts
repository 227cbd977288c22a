// The load balancer contract: built over a cluster's eligible hosts, asked for one host per request.
import type { ClusterConfig, LbPolicyName } from '../../xds/decode/cluster.ts';
import type { Host } from '../host.ts';

export interface LoadBalancer {
  /** `hash` comes from the route's hash policies (ring hash and maglev use it). */
  choose(hash: number | undefined): Host | undefined;
}

export type LoadBalancerFactory = (hosts: readonly Host[], cluster: ClusterConfig) => LoadBalancer;

const policies = new Map<string, LoadBalancerFactory>();

export function registerLoadBalancer(name: LbPolicyName, factory: LoadBalancerFactory): void {
  policies.set(name, factory);
}

export function loadBalancerFactory(name: LbPolicyName): LoadBalancerFactory | undefined {
  return policies.get(name);
}

export function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/** Picks a host with probability proportional to its weight. */
export function weightedRandom(hosts: readonly Host[], total: number): Host | undefined {
  let x = Math.random() * total;
  for (const h of hosts) {
    x -= h.weight;
    if (x < 0) return h;
  }
  return hosts[hosts.length - 1];
}
