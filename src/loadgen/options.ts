// fortio's `load` and `curl` flags, read once into frozen options.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors/index.ts';
import { parseFlags } from './flags.ts';
import type { FlagSpec } from './flags.ts';

export const LOG_LEVELS = ['debug', 'verbose', 'info', 'warning', 'error', 'critical', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RequestSpec {
  readonly url: URL;
  readonly method: string;
  /** Header lines in the order given; names as typed. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer | undefined;
  readonly timeoutMs: number;
  readonly h2: boolean;
  /** Accept any TLS certificate (https URLs). */
  readonly insecure: boolean;
}

export interface LoadOptions {
  readonly request: RequestSpec;
  readonly connections: number;
  /** Requests per second over all connections; 0 is as fast as possible. */
  readonly qps: number;
  /** Exact number of calls; 0 means run for `durationMs`. */
  readonly calls: number;
  /** How long to run when `calls` is 0; 0 runs until stopped. */
  readonly durationMs: number;
  readonly percentiles: readonly number[];
  /** Where the JSON result goes: a file path, "-" for standard output, or nowhere. */
  readonly json: string | undefined;
  readonly logLevel: LogLevel;
}

export interface CurlOptions {
  readonly request: RequestSpec;
  readonly logLevel: LogLevel;
}

const REQUEST_FLAGS: Record<string, FlagSpec> = {
  H: { kind: 'list', help: 'Additional header "Name: value" (repeatable)' },
  payload: { kind: 'string', help: 'Payload string to send; makes the request a POST' },
  'payload-file': { kind: 'string', help: 'File whose content is the payload; makes the request a POST' },
  'content-type': { kind: 'string', help: 'Content-Type of the payload (default application/octet-stream)' },
  X: { kind: 'string', help: 'HTTP method to use instead of GET/POST' },
  timeout: { kind: 'duration', help: 'Connection and read timeout of each request (default 3s)' },
  h2: { kind: 'bool', help: 'Use HTTP/2 (h2c for http:// URLs, ALPN for https://)' },
  k: { kind: 'bool', help: 'Do not verify the server certificate (https URLs)' },
  loglevel: {
    kind: 'string',
    help: 'Log level: Debug, Verbose, Info, Warning, Error, Critical, Fatal (default Info)',
  },
  quiet: { kind: 'bool', help: 'Log errors only (same as -loglevel Error)' },
};

export const CURL_FLAGS: Readonly<Record<string, FlagSpec>> = REQUEST_FLAGS;

export const LOAD_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...REQUEST_FLAGS,
  c: { kind: 'int', help: 'Number of connections, each a client of its own (default 4)' },
  qps: { kind: 'float', help: 'Queries per second over all connections, 0 for no wait/max qps (default 8)' },
  n: { kind: 'int', help: 'Run for exactly this number of calls instead of a duration' },
  t: { kind: 'duration', help: 'How long to run the test, 0 to run until interrupted (default 5s)' },
  p: { kind: 'string', help: 'List of percentiles to calculate (default "50,75,90,99,99.9")' },
  json: {
    kind: 'string',
    bareValue: '-',
    help: 'Write the results as JSON to this file, "-" (or nothing) for standard output',
  },
};

export interface ReadContext {
  readonly cwd: string;
}

function defined<T>(values: ReadonlyMap<string, unknown>, name: string): T | undefined {
  return values.get(name) as T | undefined;
}

function logLevelOf(values: ReadonlyMap<string, unknown>): LogLevel {
  if (defined<boolean>(values, 'quiet')) return 'error';
  const raw = defined<string>(values, 'loglevel');
  if (raw === undefined) return 'info';
  const level = raw.toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`unknown log level "${raw}"`, {
      hint: 'use one of Debug, Verbose, Info, Warning, Error, Critical, Fatal',
    });
  return level;
}

function targetUrl(positionals: readonly string[], command: string): URL {
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? `${command} needs a URL`
        : `${command} takes one URL, got ${positionals.length} arguments: ${positionals.join(' ')}`,
      { hint: `caravel load ${command === 'curl' ? 'curl ' : ''}http://httpbin:8000/get` },
    );
  const raw = positionals[0]!;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new UsageError(`"${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`unsupported URL scheme "${url.protocol}" in ${raw}`, {
      hint: 'use http:// or https://',
    });
  return url;
}

function requestSpec(values: ReadonlyMap<string, unknown>, url: URL, context: ReadContext): RequestSpec {
  const headers: [string, string][] = [];
  for (const line of defined<string[]>(values, 'H') ?? []) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new UsageError(`invalid header "${line}"`, { hint: 'write -H "Name: value"' });
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  const payload = defined<string>(values, 'payload');
  const payloadFile = defined<string>(values, 'payload-file');
  if (payload !== undefined && payloadFile !== undefined)
    throw new UsageError('-payload and -payload-file cannot be used together');
  let body: Buffer | undefined;
  if (payload !== undefined) body = Buffer.from(payload, 'utf8');
  if (payloadFile !== undefined) {
    try {
      body = readFileSync(resolve(context.cwd, payloadFile));
    } catch (e) {
      throw new UsageError(`cannot read -payload-file ${payloadFile}: ${(e as Error).message}`, { cause: e });
    }
  }
  const contentType = defined<string>(values, 'content-type');
  if (body !== undefined && !headers.some(([n]) => n.toLowerCase() === 'content-type'))
    headers.push(['Content-Type', contentType ?? 'application/octet-stream']);
  const method = defined<string>(values, 'X') ?? (body !== undefined ? 'POST' : 'GET');
  if (!/^[A-Za-z]+$/.test(method)) throw new UsageError(`invalid method "${method}" for flag -X`);
  const timeoutMs = defined<number>(values, 'timeout') ?? 3000;
  if (timeoutMs <= 0) throw new UsageError('-timeout must be more than 0');
  return Object.freeze({
    url,
    method: method.toUpperCase(),
    headers: Object.freeze(headers),
    body,
    timeoutMs,
    h2: defined<boolean>(values, 'h2') ?? false,
    insecure: defined<boolean>(values, 'k') ?? false,
  });
}

function percentilesOf(raw: string | undefined): number[] {
  const list = (raw ?? '50,75,90,99,99.9').split(',').map((p) => p.trim());
  return list.map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n) || n <= 0 || n > 100)
      throw new UsageError(`invalid percentile "${p}" in -p`, {
        hint: 'write numbers above 0 and up to 100: -p 50,90,99.9',
      });
    return n;
  });
}

export function loadOptions(args: readonly string[], context: ReadContext): LoadOptions {
  const { values, positionals } = parseFlags(args, LOAD_FLAGS);
  const url = targetUrl(positionals, 'load');
  const connections = defined<number>(values, 'c') ?? 4;
  if (connections < 1) throw new UsageError('-c must be at least 1');
  const qps = defined<number>(values, 'qps') ?? 8;
  if (qps < 0) throw new UsageError('-qps must be 0 (as fast as possible) or more');
  const calls = defined<number>(values, 'n') ?? 0;
  if (calls < 0) throw new UsageError('-n must be 0 or more');
  const durationMs = defined<number>(values, 't') ?? 5000;
  return Object.freeze({
    request: requestSpec(values, url, context),
    // Fewer calls than connections: the extra connections would have nothing to do.
    connections: calls > 0 ? Math.min(connections, calls) : connections,
    qps,
    calls,
    durationMs,
    percentiles: Object.freeze(percentilesOf(defined<string>(values, 'p'))),
    json: defined<string>(values, 'json'),
    logLevel: logLevelOf(values),
  });
}

export function curlOptions(args: readonly string[], context: ReadContext): CurlOptions {
  const { values, positionals } = parseFlags(args, CURL_FLAGS);
  const url = targetUrl(positionals, 'curl');
  return Object.freeze({ request: requestSpec(values, url, context), logLevel: logLevelOf(values) });
}

/** True when a message of `level` is shown under the configured `threshold`. */
export function shows(threshold: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}
