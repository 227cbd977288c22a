// The set of active listeners, reconciled with each LDS update: new ones bind, changed ones swap
// their chains (or re-bind when the address changed), removed ones drain and close.
import type { HcmEnv } from '../http/connection-manager.ts';
import type { ListenerConfig } from '../xds/decode/listener.ts';
import { ActiveListener } from './listener.ts';
import { secretNames } from './tls.ts';

export class ListenerManager {
  readonly #env: HcmEnv;
  readonly #drainMs: number;
  readonly #listeners = new Map<string, ActiveListener>();
  readonly #closing = new Set<Promise<void>>();

  constructor(env: HcmEnv, drainMs: number) {
    this.#env = env;
    this.#drainMs = drainMs;
  }

  get(name: string): ActiveListener | undefined {
    return this.#listeners.get(name);
  }

  all(): ActiveListener[] {
    return [...this.#listeners.values()];
  }

  /** Route configuration names the listeners' connection managers load over RDS. */
  rdsNames(): string[] {
    const names = new Set<string>();
    for (const l of this.#listeners.values())
      for (const c of [
        ...l.config.filterChains,
        ...(l.config.defaultFilterChain ? [l.config.defaultFilterChain] : []),
      ])
        if (c.network.kind === 'hcm' && c.network.rdsName) names.add(c.network.rdsName);
    return [...names];
  }

  /** SDS secret names the listeners' TLS contexts need. */
  sdsNames(): string[] {
    const names = new Set<string>();
    for (const l of this.#listeners.values())
      for (const c of [
        ...l.config.filterChains,
        ...(l.config.defaultFilterChain ? [l.config.defaultFilterChain] : []),
      ])
        if (c.tls) for (const n of secretNames(c.tls)) names.add(n);
    return [...names];
  }

  /** Binds every new listener first; if one cannot bind, nothing of the update is applied. */
  async setListeners(configs: ReadonlyMap<string, ListenerConfig>): Promise<void> {
    const created: ActiveListener[] = [];
    const rebinding: string[] = [];
    try {
      for (const [name, config] of configs) {
        const existing = this.#listeners.get(name);
        if (existing && existing.config.host === config.host && existing.config.port === config.port)
          continue;
        if (existing) {
          // Address changed: the old socket must be released before the new one may bind it elsewhere.
          rebinding.push(name);
          continue;
        }
        const l = new ActiveListener(config, this.#env);
        await l.listen();
        created.push(l);
      }
    } catch (e) {
      await Promise.all(created.map((l) => l.drainAndClose(0)));
      throw e;
    }
    for (const l of created) this.#listeners.set(l.config.name, l);
    for (const [name, config] of configs) {
      const existing = this.#listeners.get(name);
      if (
        existing &&
        !created.includes(existing) &&
        !rebinding.includes(name) &&
        existing.config.raw !== config.raw &&
        JSON.stringify(existing.config.raw) !== JSON.stringify(config.raw)
      )
        existing.update(config, this.#drainMs);
    }
    for (const [name, l] of [...this.#listeners]) {
      if (configs.has(name) && !rebinding.includes(name)) continue;
      this.#listeners.delete(name);
      this.#track(l.drainAndClose(this.#drainMs));
    }
    for (const name of rebinding) {
      const l = new ActiveListener(configs.get(name)!, this.#env);
      await l.listen();
      this.#listeners.set(name, l);
    }
  }

  #track(p: Promise<void>): void {
    this.#closing.add(p);
    void p.finally(() => this.#closing.delete(p));
  }

  /** Drains every listener (SIGTERM): in-flight requests get up to `drainMs` to finish. */
  async close(drainMs: number): Promise<void> {
    const all = [...this.#listeners.values()];
    this.#listeners.clear();
    await Promise.all([...all.map((l) => l.drainAndClose(drainMs)), ...this.#closing]);
  }
}
