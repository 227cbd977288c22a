// Pod addresses in 127.0.0.0/8: each pod gets a pod address (127.<pod>.x.y, where its sidecar
// listens) and an app address (127.<app>.x.y, where the app itself listens), both from one index so
// the pair is easy to recognise. An index stays with its pod name across restarts of the runtime
// (persisted) and is never handed to another pod while it is held; released indexes are reused only
// after the cursor wraps, so a stale endpoint does not reach a new pod at once.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { processAlive } from '../common/index.ts';
import { AddressUnavailableError, RuntimeStateError } from './errors.ts';
import { readJson, runtimeDir, writeJsonAtomic } from './state-file.ts';

export interface PodAddresses {
  /** The pod address: the sidecar binds it; the mesh sends the pod's traffic here. */
  readonly podIP: string;
  /** Where the app listens (HOST). */
  readonly appAddress: string;
}

export interface AddressOptions {
  /** Second octet of pod addresses (default 1: 127.1.x.y). */
  readonly podOctet?: number;
  /** Second octet of app addresses (default 2: 127.2.x.y). */
  readonly appOctet?: number;
}

interface Stored {
  next: number;
  pods: Record<string, number>;
}

// x.y with y in 1..254: no .0 or .255, which look like network and broadcast addresses to people.
const MAX_INDEX = 256 * 254;

function hostPart(index: number): string {
  const i = index - 1;
  return `${Math.floor(i / 254)}.${(i % 254) + 1}`;
}

export const ADDRESSES_FILE = 'addresses.json';

export class AddressAllocator {
  readonly #file: string | undefined;
  readonly #podOctet: number;
  readonly #appOctet: number;
  #next: number;
  readonly #pods: Map<string, number>;
  readonly #used = new Set<number>();

  /** The state directory whose mesh claims its addresses machine-wide (none in memory). */
  readonly #owner: string | undefined;

  private constructor(file: string | undefined, stored: Stored, options: AddressOptions, owner?: string) {
    this.#file = file;
    this.#owner = owner;
    this.#podOctet = options.podOctet ?? 1;
    this.#appOctet = options.appOctet ?? 2;
    if (this.#podOctet === this.#appOctet || ![this.#podOctet, this.#appOctet].every(validOctet))
      throw new RangeError('pod and app octets must be two different numbers from 1 to 255');
    this.#next = stored.next;
    this.#pods = new Map(Object.entries(stored.pods));
    for (const i of this.#pods.values()) this.#used.add(i);
  }

  /** Loads the allocations kept in `stateDir` (none yet: starts empty). */
  static load(stateDir: string, options: AddressOptions = {}): AddressAllocator {
    const file = join(runtimeDir(stateDir), ADDRESSES_FILE);
    return new AddressAllocator(file, parseStored(readJson(file), file), options, resolve(stateDir));
  }

  /** An allocator that keeps nothing on disk (dry runs and planning). */
  static inMemory(options: AddressOptions = {}): AddressAllocator {
    return new AddressAllocator(undefined, { next: 1, pods: {} }, options);
  }

  /** The pod's addresses; the same ones every time for the same key while it holds them. */
  allocate(key: string): PodAddresses {
    const held = this.#pods.get(key);
    if (held !== undefined) {
      if (this.#claim(held)) return this.#addresses(held);
      // Another mesh took this address while this one was stopped: the pod gets a new one.
      this.#pods.delete(key);
      this.#used.delete(held);
    }
    if (this.#used.size >= MAX_INDEX)
      throw new RuntimeStateError(
        'RUNTIME_ADDRESSES_EXHAUSTED',
        `all ${MAX_INDEX} pod addresses are in use`,
        {
          hint: 'run fewer replicas',
        },
      );
    // Skip addresses something already listens on: another mesh from another state directory,
    // or any other program that picked the same loopback address.
    const busy = listeningAddresses();
    const taken = (i: number) => {
      const a = this.#addresses(i);
      return this.#used.has(i) || busy.has(a.podIP) || busy.has(a.appAddress);
    };
    let i = this.#next;
    for (let tries = 0; (taken(i) || !this.#claim(i)) && tries < MAX_INDEX; tries++) i = (i % MAX_INDEX) + 1;
    this.#pods.set(key, i);
    this.#used.add(i);
    this.#next = (i % MAX_INDEX) + 1;
    this.#save();
    return this.#addresses(i);
  }

  lookup(key: string): PodAddresses | undefined {
    const i = this.#pods.get(key);
    return i === undefined ? undefined : this.#addresses(i);
  }

  release(key: string): void {
    const i = this.#pods.get(key);
    if (i === undefined) return;
    this.#pods.delete(key);
    this.#used.delete(i);
    if (this.#owner) rmSync(claimFile(this.#addresses(i).podIP), { force: true });
    this.#save();
  }

  /** Keys currently holding addresses. */
  keys(): string[] {
    return [...this.#pods.keys()].sort();
  }

  #addresses(index: number): PodAddresses {
    const host = hostPart(index);
    return { podIP: `127.${this.#podOctet}.${host}`, appAddress: `127.${this.#appOctet}.${host}` };
  }

  /**
   * Claims index `i` machine-wide, so that two meshes starting at the same moment (when neither
   * listens yet) never pick the same address. A claim of a mesh whose process is gone is taken over.
   */
  #claim(i: number): boolean {
    if (!this.#owner) return true;
    const file = claimFile(this.#addresses(i).podIP);
    const mine = JSON.stringify({ stateDir: this.#owner, pid: process.pid });
    mkdirSync(CLAIMS_DIR, { recursive: true });
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const other = readClaim(file);
    if (other && other.stateDir !== this.#owner && processAlive(other.pid)) return false;
    writeFileSync(file, mine);
    return true;
  }

  #save(): void {
    if (this.#file) writeJsonAtomic(this.#file, { next: this.#next, pods: Object.fromEntries(this.#pods) });
  }
}

/** Machine-wide claims of pod addresses, one file per address, shared by every mesh on the machine. */
const CLAIMS_DIR = join(tmpdir(), 'caravel-address-claims');

function claimFile(podIP: string): string {
  return join(CLAIMS_DIR, podIP);
}

function readClaim(file: string): { stateDir: string; pid: number } | undefined {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { stateDir?: unknown; pid?: unknown };
    return typeof c.stateDir === 'string' && typeof c.pid === 'number'
      ? { stateDir: c.stateDir, pid: c.pid }
      : undefined;
  } catch {
    return undefined; // gone meanwhile, or half-written by a crash: not a live claim
  }
}

const TCP_LISTEN = '0A';

let cached: { at: number; addresses: Set<string> } | undefined;
/** A burst of allocations (a Deployment scaled up) reads the socket table once. */
const CACHE_MS = 250;

/** IPv4 addresses with a listening TCP socket on this machine (from /proc/net/tcp). */
export function listeningAddresses(maxAgeMs = CACHE_MS): Set<string> {
  const now = Date.now();
  if (cached && now - cached.at < maxAgeMs) return cached.addresses;
  const out = new Set<string>();
  cached = { at: now, addresses: out };
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return out; // not Linux: nothing to learn
  }
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] !== TCP_LISTEN || !cols[1]) continue;
    const hex = cols[1].split(':')[0]!;
    // The kernel prints the address as one little-endian 32-bit number.
    out.add([6, 4, 2, 0].map((o) => parseInt(hex.slice(o, o + 2), 16)).join('.'));
  }
  return out;
}

function validOctet(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 255;
}

function parseStored(data: unknown, file: string): Stored {
  if (data === undefined) return { next: 1, pods: {} };
  const d = data as Partial<Stored>;
  const ok =
    Number.isInteger(d.next) &&
    d.pods !== null &&
    typeof d.pods === 'object' &&
    Object.values(d.pods).every((i) => Number.isInteger(i) && i >= 1 && i <= MAX_INDEX);
  if (!ok)
    throw new RuntimeStateError('RUNTIME_STATE_CORRUPT', `${file} does not hold pod address allocations`, {
      hint: `move it aside (mv ${file} ${file}.corrupt); pods then get new addresses`,
    });
  return { next: d.next!, pods: { ...d.pods } };
}

/** Binds `address` on an ephemeral port and lets go: proves the machine routes it to loopback. */
export async function checkBindable(address: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port: 0 }, resolve);
    });
  } catch (e) {
    throw new AddressUnavailableError(address, e);
  } finally {
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
}
