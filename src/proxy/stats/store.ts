// Counters and gauges with Envoy's dotted names, and their Prometheus rendering with Envoy's tag
// extraction (cluster name, listener address, connection manager prefix, response code).

export type Labels = readonly (readonly [string, string])[];

export interface StatSnapshot {
  readonly name: string;
  readonly kind: 'counter' | 'gauge';
  readonly promName: string;
  readonly labels: Labels;
  readonly value: number;
}

export class Stat {
  readonly name: string;
  readonly kind: 'counter' | 'gauge';
  /** Prometheus metric name (without labels) and labels, extracted the way Envoy tags stats. */
  readonly promName: string;
  readonly labels: Labels;
  value = 0;
  constructor(name: string, kind: 'counter' | 'gauge', promName: string, labels: Labels) {
    this.name = name;
    this.kind = kind;
    this.promName = promName;
    this.labels = labels;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  set(n: number): void {
    this.value = n;
  }
}

const CODE = /^(.*_rq)_(\d{3})$/;
const CODE_CLASS = /^(.*_rq)_(\d)xx$/;

/** A named group of stats: `cluster.<name>.`, `http.<prefix>.`, `listener.<address>.`, `server.`. */
export class Scope {
  readonly #store: StatsStore;
  readonly prefix: string;
  readonly #promPrefix: string;
  readonly #labels: Labels;
  constructor(store: StatsStore, prefix: string, promPrefix: string, labels: Labels) {
    this.#store = store;
    this.prefix = prefix;
    this.#promPrefix = promPrefix;
    this.#labels = labels;
  }
  counter(local: string): Stat {
    return this.#stat(local, 'counter');
  }
  gauge(local: string): Stat {
    return this.#stat(local, 'gauge');
  }
  #stat(local: string, kind: 'counter' | 'gauge'): Stat {
    const name = this.prefix + local;
    const existing = this.#store.get(name);
    if (existing) return existing;
    let promLocal = local;
    let labels = this.#labels;
    const code = CODE.exec(local);
    const codeClass = code ? null : CODE_CLASS.exec(local);
    if (code) {
      promLocal = code[1]!;
      labels = [['envoy_response_code', code[2]!], ...labels];
    } else if (codeClass) {
      promLocal = `${codeClass[1]!}_xx`;
      labels = [['envoy_response_code_class', codeClass[2]!], ...labels];
    }
    const promName = `envoy_${this.#promPrefix}${promLocal.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    return this.#store.add(new Stat(name, kind, promName, labels), this.prefix);
  }
  /** Forgets every stat of this scope (a removed cluster or listener). */
  remove(): void {
    this.#store.removePrefix(this.prefix);
  }
}

export class StatsStore {
  readonly #stats = new Map<string, Stat>();
  /** The names each scope created, so removing a cluster's or listener's stats is not a full scan. */
  readonly #byPrefix = new Map<string, Set<string>>();

  get(name: string): Stat | undefined {
    return this.#stats.get(name);
  }
  /** Adds a stat; `prefix` names the scope that created it (merged snapshots have none). */
  add<S extends Stat>(stat: S, prefix?: string): S {
    this.#stats.set(stat.name, stat);
    if (prefix === undefined) return stat;
    let names = this.#byPrefix.get(prefix);
    if (!names) this.#byPrefix.set(prefix, (names = new Set()));
    names.add(stat.name);
    return stat;
  }
  removePrefix(prefix: string): void {
    const names = this.#byPrefix.get(prefix);
    if (names) {
      for (const name of names) this.#stats.delete(name);
      this.#byPrefix.delete(prefix);
    }
  }
  value(name: string): number | undefined {
    return this.#stats.get(name)?.value;
  }

  server(): Scope {
    return new Scope(this, 'server.', 'server_', []);
  }
  controlPlane(): Scope {
    return new Scope(this, 'control_plane.', 'control_plane_', []);
  }
  cluster(name: string): Scope {
    return new Scope(this, `cluster.${name}.`, 'cluster_', [['envoy_cluster_name', name]]);
  }
  http(statPrefix: string): Scope {
    return new Scope(this, `http.${statPrefix}.`, 'http_', [['envoy_http_conn_manager_prefix', statPrefix]]);
  }
  listener(address: string): Scope {
    return new Scope(this, `listener.${address}.`, 'listener_', [['envoy_listener_address', address]]);
  }
  tcp(statPrefix: string): Scope {
    return new Scope(this, `tcp.${statPrefix}.`, 'tcp_', [['envoy_tcp_prefix', statPrefix]]);
  }
  other(prefix: string): Scope {
    return new Scope(this, `${prefix}.`, `${prefix.replace(/\W/g, '_')}_`, []);
  }

  /** Every stat as plain data (what a worker sends to be summed with its siblings' stats). */
  snapshot(): StatSnapshot[] {
    return [...this.#stats.values()].map((s) => ({
      name: s.name,
      kind: s.kind,
      promName: s.promName,
      labels: s.labels,
      value: s.value,
    }));
  }

  /**
   * Sums workers' snapshots into one store. Counters and gauges add up (connections, requests);
   * process-wide gauges (server.*, control_plane.*) take the largest value instead.
   */
  static merge(snapshots: readonly (readonly StatSnapshot[])[]): StatsStore {
    const out = new StatsStore();
    for (const list of snapshots)
      for (const s of list) {
        const existing = out.get(s.name);
        const shared =
          s.kind === 'gauge' && (s.name.startsWith('server.') || s.name.startsWith('control_plane.'));
        if (!existing) out.add(new Stat(s.name, s.kind, s.promName, s.labels)).set(s.value);
        else existing.set(shared ? Math.max(existing.value, s.value) : existing.value + s.value);
      }
    return out;
  }

  /** Envoy's `/stats` text: `name: value`, sorted by name. */
  text(filter?: (name: string) => boolean): string {
    const lines: string[] = [];
    for (const s of [...this.#stats.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (filter && !filter(s.name)) continue;
      lines.push(`${s.name}: ${s.value}`);
    }
    return lines.join('\n') + '\n';
  }

  json(): { stats: { name: string; value: number }[] } {
    return {
      stats: [...this.#stats.values()]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((s) => ({ name: s.name, value: s.value })),
    };
  }

  /** Prometheus text exposition, grouped by metric name as Envoy renders it. */
  prometheus(): string {
    const groups = new Map<string, Stat[]>();
    for (const s of this.#stats.values()) {
      const g = groups.get(s.promName);
      if (g) g.push(s);
      else groups.set(s.promName, [s]);
    }
    const out: string[] = [];
    for (const name of [...groups.keys()].sort()) {
      const stats = groups.get(name)!;
      out.push(`# TYPE ${name} ${stats[0]!.kind}`);
      for (const s of stats) {
        const labels = s.labels.map(
          ([k, v]) => `${k}="${v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`,
        );
        out.push(`${name}${labels.length ? `{${labels.join(',')}}` : ''} ${s.value}`);
      }
    }
    return out.join('\n') + '\n';
  }
}

/** Declares a component's stats from its table: one property per name, resolved once. */
export function defineStats<C extends string, G extends string>(
  scope: Scope,
  table: { readonly counters: readonly C[]; readonly gauges: readonly G[] },
): Record<C | G, Stat> {
  const out = {} as Record<C | G, Stat>;
  for (const c of table.counters) out[c] = scope.counter(c);
  for (const g of table.gauges) out[g] = scope.gauge(g);
  return out;
}
