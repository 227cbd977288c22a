// The control plane's metrics, declared in one table with Istio's names, exposed in Prometheus
// text format on the monitoring port.

interface MetricSpec {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
}

export const METRICS = {
  xdsPushes: {
    name: 'pilot_xds_pushes',
    type: 'counter',
    help: 'Pilot build and send errors for lds, rds, cds and eds.',
  },
  xdsRejects: {
    name: 'pilot_total_xds_rejects',
    type: 'counter',
    help: 'Total number of xDS responses from pilot rejected by proxy.',
  },
  xdsConnected: {
    name: 'pilot_xds',
    type: 'gauge',
    help: 'Number of endpoints connected to this pilot using XDS.',
  },
  pushTriggers: {
    name: 'pilot_push_triggers',
    type: 'counter',
    help: 'Total number of times a push was triggered, labeled by reason for the push.',
  },
  convergence: {
    name: 'pilot_proxy_convergence_time',
    type: 'histogram',
    help: 'Delay in seconds between config change and a proxy receiving all required configuration.',
  },
  sendTime: {
    name: 'pilot_xds_send_time',
    type: 'histogram',
    help: 'Total time in seconds Pilot takes to send generated configuration.',
  },
  configSize: {
    name: 'pilot_xds_config_size_bytes',
    type: 'histogram',
    help: 'Distribution of configuration sizes pushed to clients',
  },
  generateErrors: {
    name: 'pilot_total_xds_internal_errors',
    type: 'counter',
    help: 'Total number of internal XDS errors in pilot.',
  },
  services: { name: 'pilot_services', type: 'gauge', help: 'Total services known to pilot.' },
  virtualServices: {
    name: 'pilot_virt_services',
    type: 'gauge',
    help: 'Total virtual services known to pilot.',
  },
  debounce: {
    name: 'pilot_debounce_time',
    type: 'histogram',
    help: 'Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.',
  },
} as const satisfies Record<string, MetricSpec>;

const BUCKETS = [0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30];

class Histogram {
  readonly counts = BUCKETS.map(() => 0);
  sum = 0;
  count = 0;
  observe(v: number): void {
    this.sum += v;
    this.count++;
    BUCKETS.forEach((b, i) => {
      if (v <= b) this.counts[i]!++;
    });
  }
}

export class XdsMetrics {
  readonly #counters = new Map<string, number>();
  readonly #gauges = new Map<string, () => number>();
  readonly #histograms = new Map<string, Histogram>();
  readonly errors: { type: string; message: string; at: Date }[] = [];

  #inc(spec: MetricSpec, labels: Record<string, string> = {}, by = 1): void {
    const k = key(spec.name, labels);
    this.#counters.set(k, (this.#counters.get(k) ?? 0) + by);
  }

  #observe(spec: MetricSpec, v: number, labels: Record<string, string> = {}): void {
    const k = key(spec.name, labels);
    let h = this.#histograms.get(k);
    if (!h) this.#histograms.set(k, (h = new Histogram()));
    h.observe(v);
  }

  counter(spec: MetricSpec, labels: Record<string, string> = {}): number {
    return this.#counters.get(key(spec.name, labels)) ?? 0;
  }

  gauge(spec: MetricSpec, read: () => number): void {
    this.#gauges.set(spec.name, read);
  }

  pushed(type: string, seconds: number, bytes: number): void {
    this.#inc(METRICS.xdsPushes, { type });
    this.#observe(METRICS.sendTime, seconds);
    this.#observe(METRICS.configSize, bytes, { type });
  }

  rejected(type: string): void {
    this.#inc(METRICS.xdsRejects, { type });
  }

  triggered(reason: string): void {
    this.#inc(METRICS.pushTriggers, { type: reason });
  }

  converged(seconds: number): void {
    this.#observe(METRICS.convergence, seconds);
  }

  debounced(seconds: number): void {
    this.#observe(METRICS.debounce, seconds);
  }

  generateError(type: string, message: string): void {
    this.#inc(METRICS.generateErrors, { type });
    this.errors.push({ type, message, at: new Date() });
    if (this.errors.length > 50) this.errors.shift();
  }

  /** Prometheus text exposition. */
  render(): string {
    const lines: string[] = [];
    for (const spec of Object.values(METRICS) as MetricSpec[]) {
      lines.push(`# HELP ${spec.name} ${spec.help}`, `# TYPE ${spec.name} ${spec.type}`);
      if (spec.type === 'gauge') {
        const read = this.#gauges.get(spec.name);
        if (read) lines.push(`${spec.name} ${read()}`);
      } else if (spec.type === 'counter') {
        for (const [k, v] of this.#counters)
          if (k.startsWith(`${spec.name}{`) || k === spec.name) lines.push(`${k} ${v}`);
      } else {
        for (const [k, h] of this.#histograms) {
          if (!(k.startsWith(`${spec.name}{`) || k === spec.name)) continue;
          const labels = k.slice(spec.name.length).replace(/^\{|\}$/g, '');
          const sep = labels ? `${labels},` : '';
          BUCKETS.forEach((b, i) => lines.push(`${spec.name}_bucket{${sep}le="${b}"} ${h.counts[i]}`));
          lines.push(`${spec.name}_bucket{${sep}le="+Inf"} ${h.count}`);
          lines.push(
            `${spec.name}_sum${labels ? `{${labels}}` : ''} ${h.sum}`,
            `${spec.name}_count${labels ? `{${labels}}` : ''} ${h.count}`,
          );
        }
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

function key(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return name;
  return `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}
