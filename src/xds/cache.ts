// Encoded resources shared across proxies and across pushes (Istio's XdsCache). A resource's bytes
// depend only on its content, so the cache is keyed by the type URL and a digest of the generated
// resource: proxies that see the mesh alike get the same bytes, and a push re-encodes only the
// resources a change actually altered (an endpoint change: that cluster's assignment; a
// VirtualService change: the route configurations that carry its host). The digest doubles as the
// resource's version in delta xDS.
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import { envoyRoot, packAny, ROUTE_TYPE } from '../envoy/index.ts';
import type { Json } from './envoy-util.ts';

/** Past this many bytes the cache drops what the latest pushes did not use. */
const MAX_GENERATION_BYTES = 128 * 1024 * 1024;

export interface CacheStats {
  /** Resources whose bytes were found (by content) without encoding. */
  readonly hits: number;
  /** Resources encoded. */
  readonly misses: number;
  /** Encoded resources held. */
  readonly entries: number;
  readonly bytes: number;
}

/** One encoded resource: its SotW `resources` entry, and what delta xDS needs besides. */
interface Encoded {
  /** A `resources` entry (field 2, a google.protobuf.Any) of a DiscoveryResponse. */
  readonly sotw: Buffer;
  /** The content digest: the resource's version in delta xDS. */
  readonly version: string;
  readonly name: string;
  /** The resource (the first object seen with this content). */
  readonly resource: Json;
  /** A `resources` entry (field 2, an envoy.service.discovery.v3.Resource) of a
   * DeltaDiscoveryResponse; built on first use. */
  delta?: Buffer;
}

/** A resource as delta xDS knows it; its bytes come from `deltaBytes`. */
export interface DeltaEntry {
  readonly name: string;
  readonly version: string;
  /** Absent for what a proxy said it holds (initial_resource_versions). */
  readonly resource?: Json;
}

export class ResourceCache {
  /** Entries used since the last rotation, and those of the generation before (kept one more). */
  #current = new Map<string, Encoded>();
  #previous = new Map<string, Encoded>();
  #currentBytes = 0;
  /** The same object asked for again (shared between proxies within a push): no digest needed. */
  #byObject = new WeakMap<Json, Encoded>();
  #lists = new WeakMap<readonly Json[], Buffer>();
  /** Encoded virtual hosts by content, in generations like the resources. */
  #vhosts = { current: new Map<string, Buffer>(), previous: new Map<string, Buffer>() };
  #hits = 0;
  #misses = 0;

  get stats(): CacheStats {
    let bytes = this.#currentBytes;
    for (const [k, v] of this.#previous) if (!this.#current.has(k)) bytes += size(v);
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: new Set([...this.#current.keys(), ...this.#previous.keys()]).size,
      bytes,
    };
  }

  #encoded(typeUrl: string, resource: Json): Encoded {
    const known = this.#byObject.get(resource);
    if (known) return known;
    const digest = createHash('sha256').update(JSON.stringify(resource)).digest('base64');
    const key = `${typeUrl} ${digest}`;
    let entry = this.#current.get(key);
    if (!entry) {
      entry = this.#previous.get(key);
      if (entry) this.#hits++;
      else {
        entry = {
          sotw: encodeEntry(typeUrl, resource, (vh) => this.#virtualHost(vh)),
          // 128 bits of the digest tell versions apart well enough.
          version: digest.slice(0, 22),
          name: String(resource.name ?? resource.clusterName ?? ''),
          resource,
        };
        this.#misses++;
      }
      this.#current.set(key, entry);
      this.#currentBytes += size(entry);
    } else this.#hits++;
    this.#byObject.set(resource, entry);
    return entry;
  }

  /** A `virtual_hosts` entry (field 2) of a RouteConfiguration, encoded once per content. */
  #virtualHost(vh: Json): Buffer {
    const key = JSON.stringify(vh);
    let bytes = this.#vhosts.current.get(key);
    if (!bytes) {
      bytes = this.#vhosts.previous.get(key) ?? virtualHostEntry(vh);
      this.#vhosts.current.set(key, bytes);
    }
    return bytes;
  }

  /** The resource as a `resources` entry (field 2, a google.protobuf.Any) of a DiscoveryResponse. */
  entry(typeUrl: string, resource: Json): Buffer {
    return this.#encoded(typeUrl, resource).sotw;
  }

  /** The entries of a list, concatenated; lists shared between proxies are concatenated once, and
   * a single resource is its entry itself (a route configuration is not copied per proxy). */
  entries(typeUrl: string, resources: readonly Json[]): Buffer {
    if (resources.length === 1) return this.entry(typeUrl, resources[0]!);
    let body = this.#lists.get(resources);
    if (!body) {
      body = Buffer.concat(resources.map((r) => this.entry(typeUrl, r)));
      this.#lists.set(resources, body);
    }
    return body;
  }

  /** The resource's name and version (content digest) for delta xDS. */
  deltaEntry(typeUrl: string, resource: Json): DeltaEntry {
    return this.#encoded(typeUrl, resource);
  }

  /** The entry of `deltaEntry` as a `resources` entry of a DeltaDiscoveryResponse. */
  deltaBytes(entry: DeltaEntry): Buffer {
    const e = entry as Encoded;
    if (!e.delta) {
      e.delta = encodeDeltaEntry(e);
      this.#currentBytes += e.delta.length;
    }
    return e.delta;
  }

  /** A new push context: what the pushes since the previous rotation did not use can go. Called on
   * every push; entries are only dropped on full pushes (config changed) or once the current
   * generation holds too much, so endpoint-only pushes do not evict unchanged clusters and routes. */
  rotate(full: boolean): void {
    if (!full && this.#currentBytes < MAX_GENERATION_BYTES) return;
    this.#previous = this.#current;
    this.#current = new Map();
    this.#currentBytes = 0;
    this.#vhosts = { current: new Map(), previous: this.#vhosts.current };
  }
}

function size(e: Encoded): number {
  return e.sotw.length + (e.delta?.length ?? 0);
}

function encodeEntry(typeUrl: string, resource: Json, virtualHost: (vh: Json) => Buffer): Buffer {
  const value =
    typeUrl === ROUTE_TYPE && Array.isArray(resource.virtualHosts)
      ? encodeRouteConfiguration(resource, virtualHost)
      : packAny(typeUrl, resource).value;
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(typeUrl);
  w.uint32((2 << 3) | 2).bytes(value);
  w.ldelim();
  return Buffer.from(w.finish());
}

/** A RouteConfiguration is mostly its virtual hosts, and a change alters few of them: the hosts are
 * encoded one by one (each once per content) and the rest around them. Fields are written in field
 * number order, so the virtual hosts (field 2) follow the name (field 1): the bytes are those of
 * encoding the whole message at once. */
function encodeRouteConfiguration(rc: Json, virtualHost: (vh: Json) => Buffer): Buffer {
  const { virtualHosts, ...rest } = rc;
  const others = packAny(ROUTE_TYPE, rest).value;
  const hosts = (virtualHosts as Json[]).map(virtualHost);
  const at = others[0] === ((1 << 3) | 2) ? fieldEnd(others, 0) : 0;
  return Buffer.concat([others.subarray(0, at), ...hosts, others.subarray(at)]);
}

/** The end of the length-delimited field starting at `at`: past its tag, length and bytes. */
function fieldEnd(b: Uint8Array, at: number): number {
  let i = at + 1;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = b[i++]!;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  return i + length;
}

function virtualHostEntry(vh: Json): Buffer {
  const type = envoyRoot().lookupType('envoy.config.route.v3.VirtualHost');
  const message = type.fromObject(vh);
  const problem = type.verify(message);
  if (problem) throw new TypeError(`${ROUTE_TYPE}: virtual host ${String(vh.name)}: ${problem}`);
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2).fork();
  type.encode(message, w);
  w.ldelim();
  return Buffer.from(w.finish());
}

/** The Any inside a SotW entry: past the field tag and the length varint. */
function anyOf(sotw: Buffer): Buffer {
  let i = 1;
  while (sotw[i]! & 0x80) i++;
  return sotw.subarray(i + 1);
}

function encodeDeltaEntry(e: Encoded): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((3 << 3) | 2).string(e.name);
  w.uint32((1 << 3) | 2).string(e.version);
  w.uint32((2 << 3) | 2).bytes(anyOf(e.sotw));
  w.ldelim();
  return Buffer.from(w.finish());
}
