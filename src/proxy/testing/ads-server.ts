// A small state-of-the-world ADS server for tests: a real @grpc/grpc-js server that serves
// resources the test builds by hand, pushes updates, and records every request (ACKs and NACKs).
import * as grpc from '@grpc/grpc-js';
import { discoveryPackageDefinition } from '../../envoy/index.ts';
import type { AnyMessage } from '../../envoy/index.ts';

export interface RecordedRequest {
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly responseNonce: string;
  readonly resourceNames: readonly string[];
  readonly errorDetail: { code?: number; message?: string } | undefined;
  readonly node: Record<string, unknown> | undefined;
}

interface Resources {
  version: number;
  items: Map<string, AnyMessage>;
}

type Stream = grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>;

interface StreamState {
  readonly call: Stream;
  readonly subscribed: Map<string, readonly string[]>;
  nonce: number;
}

export class TestAdsServer {
  readonly requests: RecordedRequest[] = [];
  readonly #resources = new Map<string, Resources>();
  readonly #streams = new Set<StreamState>();
  readonly #waiters = new Set<() => void>();
  #server: grpc.Server | undefined;
  port = 0;

  /** Starts on 127.0.0.1; `port` 0 picks a free one (read it back from `.port`). */
  async start(port = 0): Promise<void> {
    const pkg = grpc.loadPackageDefinition(discoveryPackageDefinition()) as unknown as {
      envoy: {
        service: { discovery: { v3: { AggregatedDiscoveryService: { service: grpc.ServiceDefinition } } } };
      };
    };
    const server = new grpc.Server();
    server.addService(pkg.envoy.service.discovery.v3.AggregatedDiscoveryService.service, {
      StreamAggregatedResources: (call: Stream) => this.#onStream(call),
      DeltaAggregatedResources: (call: Stream) => call.end(),
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
    for (const s of this.#streams) if (s.subscribed.has(typeUrl)) this.#push(s, typeUrl);
    return String(r.version);
  }

  version(typeUrl: string): string {
    return String(this.#resources.get(typeUrl)?.version ?? 0);
  }

  #onStream(call: Stream): void {
    const state: StreamState = { call, subscribed: new Map(), nonce: 0 };
    this.#streams.add(state);
    const gone = () => this.#streams.delete(state);
    call.on('error', gone);
    call.on('cancelled', gone);
    call.on('end', () => {
      gone();
      call.end();
    });
    call.on('data', (req: Record<string, unknown>) => {
      const typeUrl = String(req.typeUrl ?? '');
      const names = (req.resourceNames as string[] | undefined) ?? [];
      this.requests.push({
        typeUrl,
        versionInfo: String(req.versionInfo ?? ''),
        responseNonce: String(req.responseNonce ?? ''),
        resourceNames: names,
        errorDetail: req.errorDetail as RecordedRequest['errorDetail'],
        node: req.node as Record<string, unknown> | undefined,
      });
      const previous = state.subscribed.get(typeUrl);
      state.subscribed.set(typeUrl, names);
      const changed = !previous || previous.join('\n') !== names.join('\n');
      // A new subscription (or new names) gets the current state; ACKs and NACKs get nothing.
      if (changed || !req.responseNonce) this.#push(state, typeUrl);
      for (const w of [...this.#waiters]) w();
    });
  }

  #push(state: StreamState, typeUrl: string): void {
    const r = this.#resources.get(typeUrl);
    if (!r) return;
    const names = state.subscribed.get(typeUrl) ?? [];
    const items = [...r.items.entries()].filter(([n]) => names.length === 0 || names.includes(n));
    state.nonce++;
    // The stubs serialise an Any from its proto field names (type_url), not from packAny's typeUrl.
    const resources = items.map(([, a]) => ({ type_url: a.typeUrl, value: a.value }));
    state.call.write({ versionInfo: String(r.version), resources, typeUrl, nonce: String(state.nonce) });
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
