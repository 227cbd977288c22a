// ROUND_ROBIN (weighted, smooth), LEAST_REQUEST (power of N choices) and RANDOM.
import type { Host } from '../host.ts';
import type { LoadBalancer } from './types.ts';
import { randomIndex, weightedRandom } from './types.ts';

function sameWeights(hosts: readonly Host[]): boolean {
  return hosts.every((h) => h.weight === hosts[0]!.weight);
}

export function roundRobin(hosts: readonly Host[]): LoadBalancer {
  if (hosts.length === 0) return { choose: () => undefined };
  if (sameWeights(hosts)) {
    // Random start, as Envoy does, so that many proxies do not all hit the first host together.
    let next = randomIndex(hosts.length);
    return {
      choose() {
        const h = hosts[next]!;
        next = next + 1 === hosts.length ? 0 : next + 1;
        return h;
      },
    };
  }
  // Smooth weighted round robin: each pick adds every weight to its host's credit and takes the
  // host with the most credit, which interleaves hosts in proportion to their weights.
  const credit = new Float64Array(hosts.length);
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  return {
    choose() {
      let best = 0;
      for (let i = 0; i < hosts.length; i++) {
        credit[i]! += hosts[i]!.weight;
        if (credit[i]! > credit[best]!) best = i;
      }
      credit[best]! -= total;
      return hosts[best];
    },
  };
}

export function leastRequest(hosts: readonly Host[], choiceCount: number): LoadBalancer {
  if (hosts.length === 0) return { choose: () => undefined };
  if (hosts.length === 1) return { choose: () => hosts[0] };
  return {
    choose() {
      let best = hosts[randomIndex(hosts.length)]!;
      for (let i = 1; i < choiceCount; i++) {
        const h = hosts[randomIndex(hosts.length)]!;
        // Weighted hosts compare active requests per unit of weight.
        if (h.activeRequests / h.weight < best.activeRequests / best.weight) best = h;
      }
      return best;
    },
  };
}

export function random(hosts: readonly Host[]): LoadBalancer {
  if (hosts.length === 0) return { choose: () => undefined };
  if (sameWeights(hosts)) return { choose: () => hosts[randomIndex(hosts.length)] };
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  return { choose: () => weightedRandom(hosts, total) };
}
