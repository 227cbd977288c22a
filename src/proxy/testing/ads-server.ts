// A small ADS server for tests, speaking both protocols (state of the world and delta): a real
// @grpc/grpc-js server that serves resources the test builds by hand, pushes updates, and records
// every request (ACKs and NACKs).
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { discoveryPackageDefinition } from '../../envoy/index.ts';
import type { AnyMessage } from '../../envoy/index.ts';

export interface RecordedRequest {
  readonly protocol: 'sotw' | 'delta';
  readonly typeUrl: string;
  /**
   * The version the proxy reports holding. A delta request carries none: recorded is the version
   * of the response its nonce answers (an ACK) or of the last one ACKed (a NACK), so tests read
   * both protocols alike.
   */
  readonly versionInfo: string;
  readonly responseNonce: string;
  /** The names subscribed after this request (a delta request names only changes; "*" left out). */
  readonly resourceNames: readonly string[];
  /** Delta only: the request's subscription changes and what a new stream says it holds. */
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialResourceVersions: Readonly<Record<string, string>>;
  readonly errorDetail: { code?: number; message?: string } | undefined;
  readonly node: Record<string, unknown> | undefined;
}

interface Resources {
  version: number;
  items: Map<string, AnyMessage>;
}

type Stream = grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>;

/** A delta stream's view of one type: the subscription and what the proxy holds. */
interface DeltaType {
  wildcard: boolean;
  names: Set<string>;
  held: Map<string, string>;
  /** What the proxy held before each response, by nonce (restored by a NACK), and its version. */
  sent: Map<string, { version: string; before: Map<string, string> }>;
  acked: string;
}

interface StreamState {
  readonly call: Stream;
  readonly protocol: 'sotw' | 'delta';
  readonly subscribed: Map<string, readonly string[]>;
  readonly delta: Map<string, DeltaType>;
  nonce: number;
}

/** A resource's version in delta responses: a digest of its encoding, so unchanged ones are not resent. */
function versionOf(any: AnyMessage): string {
  return createHash('sha256').update(any.value).digest('hex').slice(0, 12);
}

export class TestAdsServer {
  readonly requests: RecordedRequest[] = [];
  readonly #resources = new Map<string, Resources>();
  readonly #streams = new Set<StreamState>();
  readonly #waiters = new Set<() => void>();
  #server: grpc.Server | undefined;
  port = 0;
  /** Delta responses carry system_version_info (optional in the protocol) while this is set. */
  systemVersions = true;

  /** Starts on 127.0.0.1; `port` 0 picks a free one (read it back from `.port`). */
  async start(port = 0): Promise<void> {
    const pkg = grpc.loadPackageDefinition(discoveryPackageDefinition()) as unknown as {
      envoy: {
        service: { discovery: { v3: { AggregatedDiscoveryService: { service: grpc.ServiceDefinition } } } };
      };
    };
    const server = new grpc.Server();
    server.addService(pkg.envoy.service.discovery.v3.AggregatedDiscoveryService.service, {
      StreamAggregatedResources: (call: Stream) => this.#onStream(call, 'sotw'),
      DeltaAggregatedResources: (call: Stream) => this.#onStream(call, 'delta'),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    this.#server = server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get connections(): number {
    return this.#streams.size;
  }

  /** Replaces every resource of a type and pushes the new version to subscribed proxies. */
  set(typeUrl: string, resources: readonly { name: string; any: AnyMessage }[]): string {
    const r = this.#resources.get(typeUrl) ?? { version: 0, items: new Map() };
    r.version++;
    r.items = new Map(resources.map((x) => [x.name, x.any]));
    this.#resources.set(typeUrl, r);
    for (const s of this.#streams)
      if (s.subscribed.has(typeUrl) || s.delta.has(typeUrl)) this.#push(s, typeUrl);
    return String(r.version);
  }

  version(typeUrl: string): string {
    return String(this.#resources.get(typeUrl)?.version ?? 0);
  }

  #onStream(call: Stream, protocol: 'sotw' | 'delta'): void {
    const state: StreamState = { call, protocol, subscribed: new Map(), delta: new Map(), nonce: 0 };
    this.#streams.add(state);
    const gone = () => this.#streams.delete(state);
    call.on('error', gone);
    call.on('cancelled', gone);
    call.on('end', () => {
      gone();
      call.end();
    });
    call.on('data', (req: Record<string, unknown>) => {
      if (protocol === 'sotw') this.#onSotwRequest(state, req);
      else this.#onDeltaRequest(state, req);
      for (const w of [...this.#waiters]) w();
    });
  }

  #record(req: Record<string, unknown>, fields: Omit<RecordedRequest, 'errorDetail' | 'node'>): void {
    this.requests.push({
      ...fields,
      errorDetail: req.errorDetail as RecordedRequest['errorDetail'],
      node: req.node as Record<string, unknown> | undefined,
    });
  }

  #onSotwRequest(state: StreamState, req: Record<string, unknown>): void {
    const typeUrl = String(req.typeUrl ?? '');
    const names = (req.resourceNames as string[] | undefined) ?? [];
    this.#record(req, {
      protocol: 'sotw',
      typeUrl,
      versionInfo: String(req.versionInfo ?? ''),
      responseNonce: String(req.responseNonce ?? ''),
      resourceNames: names,
      subscribe: [],
      unsubscribe: [],
      initialResourceVersions: {},
    });
    const previous = state.subscribed.get(typeUrl);
    state.subscribed.set(typeUrl, names);
    const changed = !previous || previous.join('\n') !== names.join('\n');
    // A new subscription (or new names) gets the current state; ACKs and NACKs get nothing.
    if (changed || !req.responseNonce) this.#push(state, typeUrl);
  }

  #onDeltaRequest(state: StreamState, req: Record<string, unknown>): void {
    const typeUrl = String(req.typeUrl ?? '');
    const subscribe = (req.resourceNamesSubscribe as string[] | undefined) ?? [];
    const unsubscribe = (req.resourceNamesUnsubscribe as string[] | undefined) ?? [];
    const initial = (req.initialResourceVersions as Record<string, string> | undefined) ?? {};
    const nonce = String(req.responseNonce ?? '');
    let t = state.delta.get(typeUrl);
    const first = !t;
    if (!t) {
      // A first request subscribing to nothing asks for everything (Envoy's legacy wildcard).
      t = {
        wildcard: subscribe.length === 0,
        names: new Set(),
        held: new Map(Object.entries(initial)),
        sent: new Map(),
        acked: '',
      };
      state.delta.set(typeUrl, t);
    }
    const answered = t.sent.get(nonce);
    if (answered) {
      if (req.errorDetail) t.held = answered.before;
      else t.acked = answered.version;
    }
    let fresh = false;
    for (const name of subscribe) {
      if (name === '*') {
        fresh ||= !t.wildcard;
        t.wildcard = true;
      } else {
        fresh ||= !t.names.has(name);
        t.names.add(name);
      }
    }
    for (const name of unsubscribe) {
      if (name === '*') t.wildcard = false;
      t.names.delete(name);
      if (!t.wildcard) t.held.delete(name);
    }
    this.#record(req, {
      protocol: 'delta',
      typeUrl,
      versionInfo: answered && !req.errorDetail ? answered.version : t.acked,
      responseNonce: nonce,
      resourceNames: [...t.names].sort(),
      subscribe,
      unsubscribe,
      initialResourceVersions: initial,
    });
    if (first || fresh) this.#push(state, typeUrl);
  }

  #push(state: StreamState, typeUrl: string): void {
    const r = this.#resources.get(typeUrl);
    if (!r) return;
    state.nonce++;
    const nonce = String(state.nonce);
    // The stubs serialise an Any from its proto field names (type_url), not from packAny's typeUrl.
    const wire = (a: AnyMessage) => ({ type_url: a.typeUrl, value: a.value });
    if (state.protocol === 'sotw') {
      const names = state.subscribed.get(typeUrl) ?? [];
      const items = [...r.items.entries()].filter(([n]) => names.length === 0 || names.includes(n));
      const resources = items.map(([, a]) => wire(a));
      state.call.write({ versionInfo: String(r.version), resources, typeUrl, nonce });
      return;
    }
    const t = state.delta.get(typeUrl)!;
    const visible = new Map([...r.items].filter(([n]) => t.wildcard || t.names.has(n)));
    const next = new Map([...visible].map(([n, a]) => [n, versionOf(a)]));
    const resources = [...visible]
      .filter(([n]) => t.held.get(n) !== next.get(n))
      .map(([name, a]) => ({ name, version: next.get(name), resource: wire(a) }));
    const removedResources = [...t.held.keys()].filter((n) => !next.has(n));
    t.sent.set(nonce, { version: String(r.version), before: t.held });
    t.held = next;
    const systemVersionInfo = this.systemVersions ? String(r.version) : '';
    state.call.write({ systemVersionInfo, resources, removedResources, typeUrl, nonce });
  }

  /** Resolves once a recorded request satisfies `predicate` (already recorded ones count). */
  waitFor(predicate: (r: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.requests.find(predicate);
        if (hit) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error('timed out waiting for an xDS request'));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for the proxy to ACK the current version of a type. */
  acked(typeUrl: string, version = this.version(typeUrl)): Promise<RecordedRequest> {
    return this.waitFor(
      (r) => r.typeUrl === typeUrl && r.versionInfo === version && !r.errorDetail && r.responseNonce !== '',
    );
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#streams) s.call.destroy();
    this.#streams.clear();
    if (server) server.forceShutdown();
  }
}
