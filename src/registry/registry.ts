// The service registry: services from config (Kubernetes Services, ServiceEntries), workloads from
// config (Pod records, WorkloadEntries) and from the runtime that runs pods, and the endpoints
// joining them. Every change reports exactly which services and endpoints moved.
import type { Endpoints, Pod, Resource, Service, ServiceEntry, WorkloadEntry } from '../api/index.ts';
import { DEFAULT_DOMAIN, selectorMatches } from './hosts.ts';
import type { Endpoint, MeshService, RegistryChange, ServicePort, Workload } from './model.ts';
import type { ServiceRecord } from './sources.ts';
import {
  endpointsWorkloads,
  kubeServiceRecord,
  podWorkload,
  serviceEntryRecords,
  workloadEntryWorkload,
} from './sources.ts';

/** The read side the control plane uses. */
export interface RegistryView {
  services(): readonly MeshService[];
  service(hostname: string): MeshService | undefined;
  /** Endpoints of every port of `hostname`, ready ones and not. */
  endpoints(hostname: string): readonly Endpoint[];
  workloads(): readonly Workload[];
  /** The workload whose pod address is `address` (how a proxy finds its own pod). */
  workloadByAddress(address: string): Workload | undefined;
  /** Services that select the workload (its inbound ports). */
  servicesOf(workload: Workload): readonly MeshService[];
}

/** The write side the local runtime (and later Kubernetes) feeds pods through. */
export interface PodSink {
  upsertPod(pod: Workload): void;
  removePod(namespace: string, name: string): void;
}

export type RegistryListener = (change: RegistryChange) => void;

const key = (ns: string, name: string) => `${ns}/${name}`;

const NONE: readonly ServiceRecord[] = [];

export class ServiceRegistry implements RegistryView, PodSink {
  readonly domain: string;
  #records = new Map<string, ServiceRecord>();
  /** Records with a selector by namespace: the ones a workload there can belong to. */
  #selecting = new Map<string, ServiceRecord[]>();
  #servicesOf = new WeakMap<
    Workload,
    { selecting: readonly ServiceRecord[]; services: readonly MeshService[] }
  >();
  #configWorkloads = new Map<string, Workload>();
  #pods = new Map<string, Workload>();
  #endpoints = new Map<string, readonly Endpoint[]>();
  #byAddress = new Map<string, Workload>();
  /** Workloads by namespace (config and runtime), the index endpoint selection reads. */
  #byNamespace = new Map<string, Map<string, Workload>>();
  #listeners = new Set<RegistryListener>();

  constructor(options: { domain?: string } = {}) {
    this.domain = options.domain ?? DEFAULT_DOMAIN;
  }

  onChange(listener: RegistryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces everything derived from config with what `resources` describe. */
  setConfig(resources: readonly Resource[]): RegistryChange {
    const records = new Map<string, ServiceRecord>();
    const workloads = new Map<string, Workload>();
    const manual = new Map<string, Endpoints>();
    for (const r of resources)
      if (r.kind === 'Endpoints')
        manual.set(key(r.metadata.namespace ?? 'default', r.metadata.name), r as Endpoints);
    for (const r of resources) {
      switch (r.kind) {
        case 'Service': {
          const rec = kubeServiceRecord(r as Service, this.domain);
          const ep = manual.get(key(rec.service.namespace, rec.service.name));
          addRecord(
            records,
            !rec.selector && ep ? { ...rec, staticEndpoints: endpointsWorkloads(ep, rec.service) } : rec,
          );
          break;
        }
        case 'ServiceEntry':
          for (const rec of serviceEntryRecords(r as ServiceEntry, this.domain)) addRecord(records, rec);
          break;
        case 'WorkloadEntry': {
          const w = workloadEntryWorkload(r as WorkloadEntry);
          workloads.set(key(w.namespace, `we:${w.name}`), w);
          break;
        }
        case 'Pod': {
          const w = podWorkload(r as Pod);
          if (w) workloads.set(key(w.namespace, w.name), w);
          break;
        }
      }
    }
    // A record equal to the one held is kept, with what was derived from it (its endpoints, the
    // services of a workload): a config change usually concerns few services of many.
    const changed = new Set<string>();
    for (const [host, rec] of records) {
      const held = this.#records.get(host);
      if (held && sameRecord(held, rec)) records.set(host, held);
      else changed.add(host);
    }
    const servicesChanged = !sameServices(this.#records, records);
    const changedWorkloads = diffKeys(this.#configWorkloads, workloads);
    this.#records = records;
    const selecting = new Map<string, ServiceRecord[]>();
    for (const r of records.values())
      if (r.selector) {
        const list = selecting.get(r.service.namespace);
        if (list) list.push(r);
        else selecting.set(r.service.namespace, [r]);
      }
    for (const [ns, list] of selecting) {
      const held = this.#selecting.get(ns);
      if (held?.length === list.length && held.every((r, i) => r === list[i])) selecting.set(ns, held);
    }
    this.#selecting = selecting;
    this.#configWorkloads = workloads;
    this.#reindex();
    // Endpoints change with their record, or with the config workloads of its namespace.
    const namespaces = new Set([...changedWorkloads].map((k) => k.slice(0, k.indexOf('/'))));
    for (const [host, rec] of records) if (namespaces.has(rec.service.namespace)) changed.add(host);
    const endpointHosts = this.#recomputeEndpoints([...changed]);
    return this.#emit({ servicesChanged, endpointHosts, workloads: changedWorkloads });
  }

  upsertPod(pod: Workload): void {
    const k = key(pod.namespace, pod.name);
    const old = this.#pods.get(k);
    this.#pods.set(k, pod);
    this.#podChanged(k, old, pod);
  }

  removePod(namespace: string, name: string): void {
    const k = key(namespace, name);
    const old = this.#pods.get(k);
    if (!old) return;
    this.#pods.delete(k);
    this.#podChanged(k, old, undefined);
  }

  services(): readonly MeshService[] {
    return [...this.#records.values()].map((r) => r.service);
  }

  service(hostname: string): MeshService | undefined {
    return this.#records.get(hostname)?.service;
  }

  endpoints(hostname: string): readonly Endpoint[] {
    return this.#endpoints.get(hostname) ?? [];
  }

  workloads(): readonly Workload[] {
    return [...this.#configWorkloads.values(), ...this.#pods.values()];
  }

  workloadByAddress(address: string): Workload | undefined {
    return this.#byAddress.get(address);
  }

  servicesOf(workload: Workload): readonly MeshService[] {
    // Asked for every proxy on every push: kept per workload (a changed pod is a new Workload)
    // while the services of its namespace stay the same.
    const selecting = this.#selecting.get(workload.namespace) ?? NONE;
    const known = this.#servicesOf.get(workload);
    if (known?.selecting === selecting) return known.services;
    const services = selecting
      .filter((r) => r.service.origin === 'kubernetes' && selectorMatches(r.selector, workload.labels))
      .map((r) => r.service);
    this.#servicesOf.set(workload, { selecting, services });
    return services;
  }

  #podChanged(k: string, old: Workload | undefined, pod: Workload | undefined): void {
    if (old) {
      this.#byNamespace.get(old.namespace)?.delete(`pod:${k}`);
      if (this.#byAddress.get(old.address) === old) this.#byAddress.delete(old.address);
    }
    if (pod) {
      let ns = this.#byNamespace.get(pod.namespace);
      if (!ns) this.#byNamespace.set(pod.namespace, (ns = new Map()));
      ns.set(`pod:${k}`, pod);
      this.#byAddress.set(pod.address, pod);
    }
    const hit = (r: ServiceRecord, w: Workload | undefined) =>
      w !== undefined && w.namespace === r.service.namespace && selectorMatches(r.selector, w.labels);
    const candidates = new Set([
      ...(old ? (this.#selecting.get(old.namespace) ?? []) : []),
      ...(pod ? (this.#selecting.get(pod.namespace) ?? []) : []),
    ]);
    const affected = [...candidates].filter((r) => hit(r, old) || hit(r, pod)).map((r) => r.service.hostname);
    const endpointHosts = this.#recomputeEndpoints(affected);
    this.#emit({ servicesChanged: false, endpointHosts, workloads: new Set([k]) });
  }

  #reindex(): void {
    this.#byAddress = new Map(this.workloads().map((w) => [w.address, w]));
    this.#byNamespace = new Map();
    const add = (k: string, w: Workload) => {
      let ns = this.#byNamespace.get(w.namespace);
      if (!ns) this.#byNamespace.set(w.namespace, (ns = new Map()));
      ns.set(k, w);
    };
    for (const [k, w] of this.#configWorkloads) add(`config:${k}`, w);
    for (const [k, w] of this.#pods) add(`pod:${k}`, w);
  }

  /** Recomputes endpoints of `hosts`; returns those whose endpoints differ from before. */
  #recomputeEndpoints(hosts: readonly string[]): Set<string> {
    const changed = new Set<string>();
    for (const host of hosts) {
      const rec = this.#records.get(host);
      const next = rec
        ? endpointsOf(rec, [...(this.#byNamespace.get(rec.service.namespace)?.values() ?? [])])
        : [];
      const prev = this.#endpoints.get(host) ?? [];
      if (JSON.stringify(prev) !== JSON.stringify(next)) changed.add(host);
      if (next.length > 0) this.#endpoints.set(host, next);
      else this.#endpoints.delete(host);
    }
    for (const host of [...this.#endpoints.keys()]) {
      if (!this.#records.has(host)) {
        this.#endpoints.delete(host);
        changed.add(host);
      }
    }
    return changed;
  }

  #emit(change: RegistryChange): RegistryChange {
    if (change.servicesChanged || change.endpointHosts.size > 0 || change.workloads.size > 0)
      for (const l of this.#listeners) l(change);
    return change;
  }
}

function addRecord(records: Map<string, ServiceRecord>, rec: ServiceRecord): void {
  // The first definition of a host wins, as Istio keeps the oldest.
  if (!records.has(rec.service.hostname)) records.set(rec.service.hostname, rec);
}

function sameServices(a: Map<string, ServiceRecord>, b: Map<string, ServiceRecord>): boolean {
  if (a.size !== b.size) return false;
  for (const [host, rec] of a) {
    const other = b.get(host);
    if (!other || (other !== rec && JSON.stringify(other.service) !== JSON.stringify(rec.service)))
      return false;
  }
  return true;
}

function sameRecord(a: ServiceRecord, b: ServiceRecord): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diffKeys(a: Map<string, Workload>, b: Map<string, Workload>): Set<string> {
  const out = new Set<string>();
  for (const [k, w] of a) if (JSON.stringify(b.get(k)) !== JSON.stringify(w)) out.add(k);
  for (const k of b.keys()) if (!a.has(k)) out.add(k);
  return out;
}

/** The port on `w` that service port `p` reaches. */
export function targetPortOf(p: ServicePort, w: Workload): number | undefined {
  const override = w.portOverrides?.[p.name];
  if (override !== undefined) return override;
  const t = p.targetPort ?? p.port;
  if (typeof t === 'number') return t;
  return w.namedPorts[t];
}

function endpointsOf(rec: ServiceRecord, namespaceWorkloads: readonly Workload[]): Endpoint[] {
  const selected = rec.selector
    ? namespaceWorkloads.filter((w) => selectorMatches(rec.selector, w.labels))
    : [];
  const out: Endpoint[] = [];
  for (const w of [...rec.staticEndpoints, ...selected]) {
    for (const p of rec.service.ports) {
      const port = targetPortOf(p, w);
      if (port === undefined) continue;
      out.push({
        hostname: rec.service.hostname,
        servicePort: p,
        address: w.address,
        port,
        labels: w.labels,
        namespace: w.namespace,
        serviceAccount: w.serviceAccount,
        workloadName: w.name,
        ready: w.ready,
        ...(w.locality ? { locality: w.locality } : {}),
        weight: w.weight ?? 1,
      });
    }
  }
  out.sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
  return out;
}
