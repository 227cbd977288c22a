// Small readers over decoded protobuf objects (camelCase, longs and enums as strings). Each names
// the field path in its error, so a NACK says exactly which field was refused.
import { XdsResourceError } from '../../errors.ts';

export type Obj = Readonly<Record<string, unknown>>;

export class Reader {
  readonly resource: string;
  constructor(resource: string) {
    this.resource = resource;
  }
  fail(path: string, message: string): never {
    throw new XdsResourceError(this.resource, `${path}: ${message}`);
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

export function obj(o: Obj, key: string): Obj | undefined {
  const v = o[key];
  return isObj(v) ? v : undefined;
}

export function objs(o: Obj, key: string): Obj[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter(isObj) : [];
}

export function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

export function strs(o: Obj, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function num(o: Obj, key: string): number | undefined {
  const v = o[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

export function bool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  return typeof v === 'boolean' ? v : undefined;
}

/** A google.protobuf.*Value wrapper (`{ value }`); absent wrapper → undefined. */
export function wrapped(o: Obj, key: string): number | undefined {
  const w = obj(o, key);
  if (!w) return undefined;
  return num(w, 'value') ?? 0;
}

export function wrappedBool(o: Obj, key: string): boolean | undefined {
  const w = obj(o, key);
  if (!w) return undefined;
  return bool(w, 'value') ?? false;
}

/** A google.protobuf.Duration in milliseconds; absent → undefined. */
export function durationMs(o: Obj, key: string): number | undefined {
  const d = obj(o, key);
  if (!d) return undefined;
  return (num(d, 'seconds') ?? 0) * 1000 + (num(d, 'nanos') ?? 0) / 1e6;
}

/** envoy.type.v3.FractionalPercent or Percent as a probability in [0, 1]. */
export function fraction(o: Obj | undefined): number {
  if (!o) return 0;
  if ('numerator' in o || 'denominator' in o) {
    const n = num(o, 'numerator') ?? 0;
    const d = str(o, 'denominator') ?? 'HUNDRED';
    const scale = d === 'MILLION' ? 1e6 : d === 'TEN_THOUSAND' ? 1e4 : 100;
    return Math.min(1, n / scale);
  }
  return Math.min(1, (num(o, 'value') ?? 0) / 100);
}

/** `{socketAddress: {address, portValue}}` → host and port. */
export function socketAddress(r: Reader, o: Obj | undefined, path: string): { host: string; port: number } {
  const sa = o && obj(o, 'socketAddress');
  if (!sa) return r.fail(path, 'needs a socket_address');
  const host = str(sa, 'address');
  if (!host) return r.fail(`${path}.socket_address.address`, 'is required');
  const port = num(sa, 'portValue') ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    r.fail(`${path}.socket_address.port_value`, 'out of range');
  return { host, port };
}

/** Freezes a decoded model deeply (plain objects and arrays only; compiled matchers stay as they are). */
export function deepFreeze<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const v of value) deepFreeze(v);
    return Object.freeze(value);
  }
  if (isObj(value) && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) deepFreeze(v);
    return Object.freeze(value);
  }
  return value;
}
