// Pod names as Kubernetes forms them: `<deployment>-<pod-template-hash>-<suffix>`. The hash is
// FNV-1a (32 bit) of the pod template, so the same template always gives the same hash and a
// changed template a new one; hash and suffix use Kubernetes' alphabet without vowels, so no
// word is spelt by accident.
import { randomInt } from 'node:crypto';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so equal templates print equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Maps each character to the safe alphabet, as Kubernetes' SafeEncodeString does. */
function safeEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += ALPHANUMS[byte % ALPHANUMS.length];
  return out;
}

/** The pod-template-hash label value of a template. */
export function templateHash(template: unknown): string {
  return safeEncode(String(fnv1a32(canonicalJson(template))));
}

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return out;
}

/** A pod name for a deployment's replica, different from every name in `taken`. */
export function podName(deployment: string, hash: string, taken: ReadonlySet<string>): string {
  for (;;) {
    const name = `${deployment}-${hash}-${randomSuffix()}`;
    if (!taken.has(name)) return name;
  }
}
