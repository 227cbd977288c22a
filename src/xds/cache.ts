// Encoded resources shared across proxies and across pushes (Istio's XdsCache). A resource's bytes
// depend only on its content, so the cache is keyed by the type URL and a digest of the generated
// resource: proxies that see the mesh alike get the same bytes, and a push re-encodes only the
// resources a change actually altered (an endpoint change: that cluster's assignment; a
// VirtualService change: the route configurations that carry its host).
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import { packAny } from '../envoy/index.ts';
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

export class ResourceCache {
  /** Entries used since the last rotation, and those of the generation before (kept one more). */
  #current = new Map<string, Buffer>();
  #previous = new Map<string, Buffer>();
  #currentBytes = 0;
  /** The same object asked for again (shared between proxies within a push): no digest needed. */
  #byObject = new WeakMap<Json, Buffer>();
  #lists = new WeakMap<readonly Json[], Buffer>();
  #hits = 0;
  #misses = 0;

  get stats(): CacheStats {
    let bytes = this.#currentBytes;
    for (const [k, v] of this.#previous) if (!this.#current.has(k)) bytes += v.length;
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: new Set([...this.#current.keys(), ...this.#previous.keys()]).size,
      bytes,
    };
  }

  /** The resource as a `resources` entry (field 2, a google.protobuf.Any) of a DiscoveryResponse. */
  entry(typeUrl: string, resource: Json): Buffer {
    const known = this.#byObject.get(resource);
    if (known) return known;
    const key = `${typeUrl} ${createHash('sha256').update(JSON.stringify(resource)).digest('base64')}`;
    let entry = this.#current.get(key);
    if (!entry) {
      entry = this.#previous.get(key);
      if (entry) this.#hits++;
      else {
        entry = encodeEntry(typeUrl, resource);
        this.#misses++;
      }
      this.#current.set(key, entry);
      this.#currentBytes += entry.length;
    } else this.#hits++;
    this.#byObject.set(resource, entry);
    return entry;
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

  /** A new push context: what the pushes since the previous rotation did not use can go. Called on
   * every push; entries are only dropped on full pushes (config changed) or once the current
   * generation holds too much, so endpoint-only pushes do not evict unchanged clusters and routes. */
  rotate(full: boolean): void {
    if (!full && this.#currentBytes < MAX_GENERATION_BYTES) return;
    this.#previous = this.#current;
    this.#current = new Map();
    this.#currentBytes = 0;
  }
}

function encodeEntry(typeUrl: string, resource: Json): Buffer {
  const any = packAny(typeUrl, resource);
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(any.typeUrl);
  w.uint32((2 << 3) | 2).bytes(any.value);
  w.ldelim();
  return Buffer.from(w.finish());
}
