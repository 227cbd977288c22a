// Consistent hashing: RING_HASH (Ketama-style ring, entries proportional to weight) and MAGLEV
// (Google's lookup table). Without a request hash both pick a random host, as Envoy does.
import { hash32 } from '../hash.ts';
import type { Host } from '../host.ts';
import type { LoadBalancer } from './types.ts';
import { randomIndex } from './types.ts';

export function ringHash(hosts: readonly Host[], minRingSize: number, maxRingSize: number): LoadBalancer {
  if (hosts.length === 0) return { choose: () => undefined };
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  const minNormalized = Math.min(...hosts.map((h) => h.weight / total));
  const scale = Math.min(Math.ceil(minNormalized * minRingSize) / minNormalized, maxRingSize);
  const entries: { hash: number; host: Host }[] = [];
  let target = 0;
  let current = 0;
  for (const host of hosts) {
    // Envoy's rounding: running target keeps the ring size close to `scale` overall.
    target += (host.weight / total) * scale;
    const count = Math.floor(target) - current;
    current += count;
    for (let i = 0; i < count; i++) entries.push({ hash: hash32(`${host.address}_${i}`), host });
  }
  entries.sort((a, b) => a.hash - b.hash);
  const hashes = Uint32Array.from(entries, (e) => e.hash);
  const ring = entries.map((e) => e.host);
  return {
    choose(hash) {
      if (hash === undefined) return hosts[randomIndex(hosts.length)];
      let lo = 0;
      let hi = hashes.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (hashes[mid]! < hash) lo = mid + 1;
        else hi = mid;
      }
      return ring[lo === ring.length ? 0 : lo];
    },
  };
}

export function maglev(hosts: readonly Host[], tableSize: number): LoadBalancer {
  if (hosts.length === 0) return { choose: () => undefined };
  const m = tableSize;
  const table = new Int32Array(m).fill(-1);
  const offset = hosts.map((h) => hash32(h.address, 0x9747b28c) % m);
  const skip = hosts.map((h) => (hash32(h.address, 0x5bd1e995) % (m - 1)) + 1);
  const next = new Array<number>(hosts.length).fill(0);
  const maxWeight = Math.max(...hosts.map((h) => h.weight));
  const credit = new Array<number>(hosts.length).fill(0);
  let filled = 0;
  while (filled < m) {
    for (let i = 0; i < hosts.length && filled < m; i++) {
      credit[i]! += hosts[i]!.weight / maxWeight;
      while (credit[i]! >= 1 && filled < m) {
        credit[i]! -= 1;
        let slot: number;
        do {
          slot = (offset[i]! + next[i]! * skip[i]!) % m;
          next[i]!++;
        } while (table[slot] !== -1);
        table[slot] = i;
        filled++;
      }
    }
  }
  return {
    choose(hash) {
      if (hash === undefined) return hosts[randomIndex(hosts.length)];
      return hosts[table[hash % m]!];
    },
  };
}
