// The `load` and `curl` entry points shared by `caravel load` and the fortio sample: parse the
// flags, run, print. Output goes through the given io so tests and the CLI capture it.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors/index.ts';
import { curlOptions, loadOptions, shows } from './options.ts';
import type { LogLevel } from './options.ts';
import { jsonReport, startLines, textReport } from './report.ts';
import { runLoad } from './runner.ts';
import { createTransport } from './transport.ts';

export interface LoadIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Ends a run early (Ctrl-C); its results are still printed. */
  readonly signal?: AbortSignal;
}

export interface ClientIdentity {
  /** Version written in the JSON results. */
  readonly version: string;
  readonly userAgent: string;
}

function logger(io: LoadIo, threshold: LogLevel) {
  return (level: LogLevel, message: string) => {
    if (shows(threshold, level)) io.err(`${level === 'warning' ? 'W' : level[0]!.toUpperCase()} ${message}`);
  };
}

/** `load [flags] URL`: returns the exit status. */
export async function loadMain(
  args: readonly string[],
  io: LoadIo,
  identity: ClientIdentity,
): Promise<number> {
  const options = loadOptions(args, io);
  // With JSON on standard output, the human-readable text moves to standard error.
  const text = options.json === '-' ? io.err : io.out;
  const log = logger(io, options.logLevel);
  for (const line of startLines(options)) text(line);
  const result = await runLoad(options, {
    env: io.env,
    userAgent: identity.userAgent,
    log,
    ...(io.signal ? { signal: io.signal } : {}),
  });
  text(textReport(result));
  if (options.json !== undefined) {
    const json = JSON.stringify(jsonReport(result, identity.version), null, 2);
    if (options.json === '-') io.out(json);
    else {
      const path = resolve(io.cwd, options.json);
      try {
        writeFileSync(path, `${json}\n`);
      } catch (e) {
        throw new UsageError(`cannot write -json ${options.json}: ${(e as Error).message}`, { cause: e });
      }
      text(`Successfully wrote ${json.length} bytes of Json data to ${options.json}`);
    }
  }
  return 0;
}

/** `curl [flags] URL`: prints the response's status line, headers and body; 1 unless it is 2xx. */
export async function curlMain(
  args: readonly string[],
  io: LoadIo,
  identity: ClientIdentity,
): Promise<number> {
  const options = curlOptions(args, io);
  const transport = createTransport(options.request, { env: io.env, userAgent: identity.userAgent });
  try {
    const res = await transport.send(true);
    if (res.status < 0) {
      io.err(`error: ${options.request.url.href}: ${res.error}`);
      return 1;
    }
    const head = [
      `HTTP/${res.httpVersion} ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
      ...res.headers.map(([n, v]) => `${n}: ${v}`),
      '',
    ];
    const body = res.body?.toString('utf8') ?? '';
    io.out(`${head.join('\n')}\n${body.replace(/\n$/, '')}`);
    if (res.status < 200 || res.status > 299) {
      if (shows(options.logLevel, 'error'))
        io.err(`Error status ${res.status} : ${body.slice(0, 256).trim()}`);
      return 1;
    }
    return 0;
  } finally {
    transport.close();
  }
}
