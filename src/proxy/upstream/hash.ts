// A fast, well-mixed 32-bit string hash (FNV-1a with a murmur3 finaliser) for consistent hashing.
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines hashes of several policies the way Envoy folds them: rotate left by one, then xor. */
export function combineHash(previous: number | undefined, next: number): number {
  if (previous === undefined) return next;
  return (((previous << 1) | (previous >>> 31)) ^ next) >>> 0;
}
