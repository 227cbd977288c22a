// An active listener: its bound socket, the runtime of each filter chain, connection inspection
// and chain selection. A config update swaps the chains in place (the socket stays bound); the
// previous chains drain: their connections finish in-flight requests and then close.
import net from 'node:net';
import type tls from 'node:tls';
import { ListenerBindError } from '../errors.ts';
import { HttpConnectionManager } from '../http/connection-manager.ts';
import type { HcmEnv } from '../http/connection-manager.ts';
import { listenerStats } from '../http/stats.ts';
import type { ListenerStats } from '../http/stats.ts';
import type { FilterChainConfig, ListenerConfig } from '../xds/decode/listener.ts';
import { selectFilterChain } from './filter-chain.ts';
import { inspect, needMore } from './inspector.ts';
import type { Detected } from './inspector.ts';
import { TcpProxy } from './tcp-proxy.ts';
import { secretNames, tlsTerminator } from './tls.ts';
import type { DownstreamTls, SecretConfig } from './tls.ts';

interface ChainRuntime {
  readonly config: FilterChainConfig;
  readonly hcm: HttpConnectionManager | undefined;
  readonly tcp: TcpProxy | undefined;
  readonly onSecure: (socket: tls.TLSSocket) => void;
  /** Terminates TLS before the network filter; rebuilt when the SDS secrets it used change. */
  terminator?: tls.Server;
  terminatorSecrets?: readonly (SecretConfig | undefined)[];
}

const NOT_INSPECTED: Detected = { transportProtocol: 'raw_buffer', serverName: '', applicationProtocols: [] };

export class ActiveListener {
  config: ListenerConfig;
  readonly stats: ListenerStats;
  readonly #env: HcmEnv;
  readonly #server: net.Server;
  #chains = new Map<FilterChainConfig, ChainRuntime>();
  readonly #sockets = new Set<net.Socket>();
  readonly #draining = new Set<ChainRuntime>();

  constructor(config: ListenerConfig, env: HcmEnv) {
    this.config = config;
    this.#env = env;
    this.stats = listenerStats(env.stats.listener(config.statName));
    this.#chains = this.#buildChains(config);
    this.#server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) =>
      this.#onConnection(socket),
    );
  }

  get address(): string {
    return `${this.config.host}:${this.config.port}`;
  }

  /** The port actually bound (differs from the config when it asks for port 0). */
  get boundPort(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a ? a.port : this.config.port;
  }

  async listen(): Promise<void> {
    if (!this.config.bindToPort) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) =>
        reject(
          new ListenerBindError(`listener ${this.config.name} cannot bind ${this.address}: ${e.message}`, {
            cause: e,
          }),
        );
      this.#server.once('error', onError);
      this.#server.listen({ host: this.config.host, port: this.config.port, backlog: 1024 }, () => {
        this.#server.removeListener('error', onError);
        this.#server.on('error', (e) => this.#env.log('error', `listener ${this.config.name}: ${e.message}`));
        resolve();
      });
    });
  }

  #buildChains(config: ListenerConfig): Map<FilterChainConfig, ChainRuntime> {
    const out = new Map<FilterChainConfig, ChainRuntime>();
    const all = config.defaultFilterChain
      ? [...config.filterChains, config.defaultFilterChain]
      : config.filterChains;
    for (const chain of all) {
      const n = chain.network;
      const hcm = n.kind === 'hcm' ? new HttpConnectionManager(n, this.#env, config.port) : undefined;
      const tcp =
        n.kind === 'tcp'
          ? new TcpProxy(n, this.#env.clusters, this.#env.stats, this.#env.accessLogs)
          : undefined;
      const onSecure = (secure: tls.TLSSocket) => {
        if (hcm) hcm.handleConnection(secure, secure.alpnProtocol === 'h2' ? 'h2' : 'h1');
        else tcp!.handleConnection(secure, secure.servername || '');
      };
      out.set(chain, { config: chain, hcm, tcp, onSecure });
    }
    return out;
  }

  /** Applies a new config for the same address: new connections use the new chains, old ones drain. */
  update(config: ListenerConfig, drainMs: number): void {
    const old = this.#chains;
    this.config = config;
    this.#chains = this.#buildChains(config);
    for (const runtime of old.values()) this.#drainChain(runtime, drainMs);
  }

  #drainChain(runtime: ChainRuntime, drainMs: number): void {
    this.#draining.add(runtime);
    runtime.hcm?.drain();
    setTimeout(() => {
      runtime.hcm?.close();
      runtime.tcp?.close();
      this.#draining.delete(runtime);
    }, drainMs).unref();
  }

  #onConnection(socket: net.Socket): void {
    this.stats.downstream_cx_total.inc();
    this.stats.downstream_cx_active.inc();
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.stats.downstream_cx_active.dec();
      this.stats.downstream_cx_destroy.inc();
    });
    socket.on('error', () => {
      // Errors surface through the codec handling the socket; an unhandled one must not crash the proxy.
    });
    if (!this.config.inspect) {
      this.#dispatch(socket, NOT_INSPECTED);
      return;
    }
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.removeListener('readable', onReadable);
      if (!this.config.continueOnListenerFiltersTimeout) {
        this.stats.downstream_listener_filter_error.inc();
        socket.destroy();
        return;
      }
      if (buffered.length) socket.unshift(buffered);
      this.#dispatch(socket, buffered.length ? inspect(buffered) : NOT_INSPECTED);
    }, this.config.listenerFiltersTimeoutMs);
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) buffered = Buffer.concat([buffered, chunk]);
      if (needMore(buffered) && !socket.readableEnded) return;
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.unshift(buffered);
      this.#dispatch(socket, inspect(buffered));
    };
    socket.on('readable', onReadable);
    socket.once('close', () => clearTimeout(timer));
  }

  #dispatch(socket: net.Socket, detected: Detected): void {
    const chain = selectFilterChain(this.config.filterChains, this.config.defaultFilterChain, {
      ...detected,
      destinationPort: socket.localPort ?? this.config.port,
      sourceAddress: socket.remoteAddress ?? '',
    });
    const runtime = chain && this.#chains.get(chain);
    if (!runtime) {
      this.stats.no_filter_chain_match.inc();
      socket.destroy();
      return;
    }
    const tlsConfig = runtime.config.tls;
    if (tlsConfig) {
      const terminator = this.#terminator(runtime, tlsConfig);
      if (!terminator) {
        this.stats.downstream_listener_filter_error.inc();
        this.#env.log(
          'warn',
          `listener ${this.config.name}: refusing a TLS connection: secret ${secretNames(tlsConfig).join(', ')} has not arrived`,
        );
        socket.destroy();
        return;
      }
      terminator.emit('connection', socket);
      return;
    }
    if (runtime.hcm) {
      const protocol = detected.applicationProtocols.includes('h2c')
        ? 'h2'
        : detected.applicationProtocols.length
          ? 'h1'
          : undefined;
      runtime.hcm.handleConnection(socket, protocol);
    } else runtime.tcp!.handleConnection(socket, detected.serverName);
  }

  #terminator(runtime: ChainRuntime, config: DownstreamTls): tls.Server | undefined {
    const secrets = secretNames(config).map((n) => this.#env.secrets(n));
    const known = runtime.terminatorSecrets;
    if (
      runtime.terminator &&
      known &&
      known.length === secrets.length &&
      known.every((s, i) => s === secrets[i])
    )
      return runtime.terminator;
    runtime.terminator = tlsTerminator(config, this.#env.secrets, runtime.onSecure);
    runtime.terminatorSecrets = secrets;
    return runtime.terminator;
  }

  /** Stops accepting, lets in-flight requests finish, and cuts what is left after `drainMs`. */
  async drainAndClose(drainMs: number): Promise<void> {
    const closed = this.#server.listening
      ? new Promise<void>((resolve) => this.#server.close(() => resolve()))
      : Promise.resolve();
    for (const runtime of this.#chains.values()) runtime.hcm?.drain();
    const deadline = Date.now() + drainMs;
    while (this.#sockets.size > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, Math.min(50, drainMs)));
    for (const runtime of [...this.#chains.values(), ...this.#draining]) {
      runtime.hcm?.close();
      runtime.tcp?.close();
    }
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}
