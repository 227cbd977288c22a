// All clusters of the proxy, replaced as a whole by each CDS update; EDS assignments are kept
// by service name so that a cluster re-created by CDS keeps its endpoints.
import type { ClusterConfig } from '../xds/decode/cluster.ts';
import type { LoadAssignment } from '../xds/decode/endpoint.ts';
import type { StatsStore } from '../stats/store.ts';
import { Cluster } from './cluster.ts';
import { secretNames } from '../listener/tls.ts';
import type { SecretConfig } from '../listener/tls.ts';

export class ClusterManager {
  readonly #stats: StatsStore;
  readonly #clusters = new Map<string, Cluster>();
  readonly #assignments = new Map<string, LoadAssignment>();

  readonly #secrets: (name: string) => SecretConfig | undefined;

  constructor(stats: StatsStore, secrets: (name: string) => SecretConfig | undefined = () => undefined) {
    this.#stats = stats;
    this.#secrets = secrets;
  }

  /** SDS secret names the clusters' upstream TLS contexts need. */
  sdsNames(): string[] {
    const names = new Set<string>();
    for (const c of this.#clusters.values())
      if (c.config.tls) for (const n of secretNames(c.config.tls)) names.add(n);
    return [...names];
  }

  get(name: string): Cluster | undefined {
    return this.#clusters.get(name);
  }

  all(): Cluster[] {
    return [...this.#clusters.values()];
  }

  /** Applies the full set of clusters: new ones are added, changed ones replaced, missing ones removed. */
  setClusters(configs: ReadonlyMap<string, ClusterConfig>, version: string): void {
    for (const [name, cluster] of this.#clusters) {
      if (!configs.has(name)) {
        this.#clusters.delete(name);
        cluster.close();
      }
    }
    for (const [name, config] of configs) {
      const existing = this.#clusters.get(name);
      if (existing && existing.config.raw === config.raw) continue;
      if (existing && JSON.stringify(existing.config.raw) === JSON.stringify(config.raw)) continue;
      const cluster = new Cluster(config, this.#stats.cluster(name), version, existing, this.#secrets);
      const assignment = config.type === 'EDS' ? this.#assignments.get(config.edsServiceName) : undefined;
      if (assignment && assignment !== cluster.assignment) cluster.setEndpoints(assignment);
      this.#clusters.set(name, cluster);
    }
  }

  /** The EDS service names clusters want, in Envoy's order of appearance. */
  edsNames(): string[] {
    return [
      ...new Set(
        this.all()
          .filter((c) => c.config.type === 'EDS')
          .map((c) => c.config.edsServiceName),
      ),
    ];
  }

  setAssignments(assignments: ReadonlyMap<string, LoadAssignment>): void {
    for (const name of [...this.#assignments.keys()])
      if (!assignments.has(name)) this.#assignments.delete(name);
    for (const [name, a] of assignments) {
      if (this.#assignments.get(name) === a) continue;
      this.#assignments.set(name, a);
      for (const c of this.#clusters.values())
        if (c.config.type === 'EDS' && c.config.edsServiceName === name) c.setEndpoints(a);
    }
  }

  hasAssignment(serviceName: string): boolean {
    return this.#assignments.has(serviceName);
  }

  close(): void {
    for (const c of this.#clusters.values()) c.close();
    this.#clusters.clear();
  }
}
