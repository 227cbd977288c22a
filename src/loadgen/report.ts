// A run's results, printed as fortio prints them (latencies in seconds) and as fortio-style JSON.
import type { LoadResult } from './runner.ts';
import { buckets, percentile, summarize } from './stats.ts';
import type { Summary } from './stats.ts';

/** Go's %g with `digits` significant digits: no trailing zeros. */
export function g(x: number, digits = 6): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/** A duration as Go prints one (1.5s, 59.812ms, 2m3.5s). */
export function goDuration(ms: number): string {
  if (ms < 1) return `${g(ms * 1000, 6)}µs`;
  if (ms < 1000) return `${g(ms, 6)}ms`;
  if (ms < 60_000) return `${g(ms / 1000, 9)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${g((ms - minutes * 60_000) / 1000, 9)}s`;
}

function summaryLine(s: Summary, scale: number, digits: number): string {
  return `count ${s.count} avg ${g(s.avg * scale, digits)} +/- ${g(s.stdDev * scale, digits)} min ${g(s.min * scale, digits)} max ${g(s.max * scale, digits)} sum ${g(s.sum * scale, digits)}`;
}

export function requestedQps(result: LoadResult): string {
  return result.options.qps > 0 ? g(result.options.qps) : 'max';
}

export function requestedDuration(result: LoadResult): string {
  const o = result.options;
  if (o.calls > 0) return `exactly ${o.calls} calls`;
  return o.durationMs > 0 ? goDuration(o.durationMs) : 'until interrupted';
}

/** The line printed before the run starts. */
export function startLines(options: LoadResult['options']): string[] {
  const qps = options.qps > 0 ? `${g(options.qps)} qps` : 'max qps';
  const threads = `${options.connections} thread(s)`;
  const url = options.request.url.href;
  if (options.calls > 0) {
    const per = Math.floor(options.calls / options.connections);
    const extra = options.calls % options.connections;
    return [
      `caravel load running at ${g(options.qps)} queries per second, for ${options.calls} calls: ${url}`,
      `Starting at ${qps} with ${threads} for exactly ${options.calls} calls (${per} per thread + ${extra})`,
    ];
  }
  const duration = options.durationMs > 0 ? goDuration(options.durationMs) : 'until interrupted';
  const plan =
    options.qps > 0 && options.durationMs > 0
      ? ` : ${Math.floor(((options.qps / options.connections) * options.durationMs) / 1000)} calls each (total ${Math.floor((options.qps * options.durationMs) / 1000)})`
      : '';
  return [
    `caravel load running at ${g(options.qps)} queries per second, for ${duration}: ${url}`,
    `Starting at ${qps} with ${threads} for ${duration}${plan}`,
  ];
}

function sortedCodes(result: LoadResult): [number, number][] {
  return [...result.codes.entries()].sort((a, b) => a[0] - b[0]);
}

export function textReport(result: LoadResult): string {
  const count = result.durations.length;
  const qps = result.elapsedMs > 0 ? (count * 1000) / result.elapsedMs : 0;
  const latency = summarize(result.durations);
  const lines: string[] = [];
  lines.push(`Ended after ${goDuration(result.elapsedMs)} : ${count} calls. qps=${g(qps, 5)}`);
  lines.push(`Aggregated Function Time : ${summaryLine(latency, 0.001, 4)}`);
  lines.push('# range, mid point, percentile, count');
  for (const b of buckets(result.durations)) {
    const start = b.start / 1000;
    const end = b.end / 1000;
    lines.push(`>= ${g(start)} <= ${g(end)} , ${g((start + end) / 2)} , ${b.percent.toFixed(2)}, ${b.count}`);
  }
  for (const p of result.options.percentiles)
    lines.push(`# target ${g(p)}% ${g(percentile(result.durations, p) / 1000)}`);
  const errors = summarize(result.errorDurations);
  lines.push(`Error cases : ${errors.count > 0 ? summaryLine(errors, 0.001, 4) : 'no data'}`);
  const sockets = result.socketsPerConnection.reduce((a, b) => a + b, 0);
  lines.push(`Sockets used: ${sockets} (for perfect keepalive, would be ${result.options.connections})`);
  lines.push('Uniform: false, Jitter: false, Catchup allowed: true');
  for (const [code, n] of sortedCodes(result))
    lines.push(`Code ${code} : ${n} (${count > 0 ? ((100 * n) / count).toFixed(1) : '0.0'} %)`);
  lines.push(`Response Header Sizes : ${summaryLine(summarize(result.headerSizes), 1, 4)}`);
  lines.push(`Response Body/Total Sizes : ${summaryLine(summarize(result.totalSizes), 1, 4)}`);
  lines.push(`All done ${count} calls (plus 0 warmup) ${g(latency.avg, 4)} ms avg, ${g(qps, 4)} qps`);
  return lines.join('\n');
}

function histogramJson(s: Summary) {
  return { Count: s.count, Min: s.min, Max: s.max, Sum: s.sum, Avg: s.avg, StdDev: s.stdDev };
}

/** The results in fortio's JSON shape (durations in seconds, ActualDuration in nanoseconds). */
export function jsonReport(result: LoadResult, version: string) {
  const seconds = (values: Float64Array) => values.map((v) => v / 1000);
  const durations = seconds(result.durations);
  const count = durations.length;
  return {
    RunType: 'HTTP',
    Labels: '',
    StartTime: result.startTime.toISOString(),
    RequestedQPS: requestedQps(result),
    RequestedDuration: requestedDuration(result),
    ActualQPS: result.elapsedMs > 0 ? (count * 1000) / result.elapsedMs : 0,
    ActualDuration: Math.round(result.elapsedMs * 1e6),
    NumThreads: result.options.connections,
    Version: version,
    DurationHistogram: {
      ...histogramJson(summarize(durations)),
      Data: buckets(durations.map((v) => v * 1000)).map((b) => ({
        Start: b.start / 1000,
        End: b.end / 1000,
        Percent: b.percent,
        Count: b.count,
      })),
      Percentiles: result.options.percentiles.map((p) => ({
        Percentile: p,
        Value: percentile(durations, p),
      })),
    },
    ErrorsDurationHistogram: histogramJson(summarize(seconds(result.errorDurations))),
    Exactly: result.options.calls,
    Jitter: false,
    Uniform: false,
    RetCodes: Object.fromEntries(sortedCodes(result).map(([code, n]) => [String(code), n])),
    Sizes: histogramJson(summarize(result.totalSizes)),
    HeaderSizes: histogramJson(summarize(result.headerSizes)),
    URL: result.options.request.url.href,
    SocketCount: result.socketsPerConnection.reduce((a, b) => a + b, 0),
    AbortOn: 0,
  };
}
