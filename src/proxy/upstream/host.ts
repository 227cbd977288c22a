// One upstream endpoint: its address, EDS health and weight, per-host counters shown by /clusters,
// and its connection pool (created on first use).
import type { EndpointConfig, HealthStatus, Locality } from '../xds/decode/endpoint.ts';
import type { OutlierHostState } from './outlier.ts';
import type { ConnectionPool } from './pool.ts';

export class Host {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  hostname: string;
  weight: number;
  health: HealthStatus;
  locality: Locality;
  localityWeight: number;
  priority: number;
  /** Outlier detection sets this; the host is skipped until then (ms since epoch). */
  ejectedUntil = 0;
  /** The outlier detector's counters for this host (kept when CDS replaces the cluster). */
  outlier: OutlierHostState | undefined;
  activeRequests = 0;
  rqTotal = 0;
  rqSuccess = 0;
  rqError = 0;
  rqTimeout = 0;
  cxActive = 0;
  cxTotal = 0;
  cxConnectFail = 0;
  pool: ConnectionPool | undefined;

  constructor(ep: Pick<EndpointConfig, 'host' | 'port'> & Partial<EndpointConfig>) {
    this.host = ep.host;
    this.port = ep.port;
    this.address = ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
    this.hostname = ep.hostname ?? '';
    this.weight = ep.weight ?? 1;
    this.health = ep.health ?? 'UNKNOWN';
    this.locality = ep.locality ?? { region: '', zone: '', subZone: '' };
    this.localityWeight = ep.localityWeight ?? 1;
    this.priority = ep.priority ?? 0;
  }

  update(ep: EndpointConfig): void {
    this.hostname = ep.hostname;
    this.weight = ep.weight;
    this.health = ep.health;
    this.locality = ep.locality;
    this.localityWeight = ep.localityWeight;
    this.priority = ep.priority;
  }

  /** EDS health: UNKNOWN and HEALTHY serve traffic; DEGRADED only when nothing healthy is left. */
  get edsHealthy(): boolean {
    return this.health === 'HEALTHY' || this.health === 'UNKNOWN';
  }

  get healthy(): boolean {
    return this.edsHealthy && this.ejectedUntil <= Date.now();
  }

  /** Envoy's /clusters health_flags text. */
  healthFlags(): string {
    const flags: string[] = [];
    if (this.health === 'UNHEALTHY' || this.health === 'DRAINING' || this.health === 'TIMEOUT')
      flags.push('/failed_eds_health');
    if (this.health === 'DEGRADED') flags.push('/degraded_eds_health');
    if (this.ejectedUntil > Date.now()) flags.push('/failed_outlier_check');
    return flags.length ? flags.join('') : 'healthy';
  }
}
