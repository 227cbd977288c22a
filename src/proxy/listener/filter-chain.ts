// Filter chain selection with Envoy's precedence: destination port, server name (exact before
// the longest wildcard), transport protocol, application protocols, source prefix. At each step
// the most specific matching criterion wins; chains without that criterion are the fallback.
import { BlockList } from 'node:net';
import type { FilterChainConfig } from '../xds/decode/listener.ts';
import type { Detected } from './inspector.ts';

export interface ChainInput extends Detected {
  readonly destinationPort: number;
  readonly sourceAddress: string;
}

type Step = (chain: FilterChainConfig, input: ChainInput) => number;

// Each step scores a chain: -1 no match, 0 matches by having no criterion, >0 specific match.
const STEPS: readonly Step[] = [
  (c, i) =>
    c.match.destinationPort === undefined ? 0 : c.match.destinationPort === i.destinationPort ? 1 : -1,
  (c, i) => {
    if (c.match.serverNames.length === 0) return 0;
    let best = -1;
    for (const name of c.match.serverNames) {
      if (name === i.serverName) return 1_000_000;
      if (
        name.startsWith('*.') &&
        i.serverName.endsWith(name.slice(1)) &&
        i.serverName.length > name.length - 1
      )
        best = Math.max(best, name.length);
    }
    return best;
  },
  (c, i) =>
    c.match.transportProtocol === '' ? 0 : c.match.transportProtocol === i.transportProtocol ? 1 : -1,
  (c, i) =>
    c.match.applicationProtocols.length === 0
      ? 0
      : c.match.applicationProtocols.some((p) => i.applicationProtocols.includes(p))
        ? 1
        : -1,
  (c, i) => {
    if (c.match.sourcePrefixes.length === 0) return 0;
    let best = -1;
    for (const p of c.match.sourcePrefixes) {
      const list = new BlockList();
      const family = p.prefix.includes(':') ? 'ipv6' : 'ipv4';
      list.addSubnet(p.prefix, p.length, family);
      if (list.check(i.sourceAddress.replace(/^::ffff:/, ''), family)) best = Math.max(best, p.length + 1);
    }
    return best;
  },
];

export function selectFilterChain(
  chains: readonly FilterChainConfig[],
  fallback: FilterChainConfig | undefined,
  input: ChainInput,
): FilterChainConfig | undefined {
  let candidates = chains;
  for (const step of STEPS) {
    let best = -1;
    const scores = candidates.map((c) => {
      const s = step(c, input);
      if (s > best) best = s;
      return s;
    });
    if (best < 0) return fallback;
    candidates = candidates.filter((_, k) => scores[k] === best);
  }
  return candidates[0] ?? fallback;
}
