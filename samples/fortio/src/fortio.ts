// The fortio sample: the `fortio` command of the fortio/fortio image, as Caravel runs it. The
// seeds run `fortio load -c 2 -qps 0 -n 20 -loglevel Warning http://httpbin:8000/get` and
// `fortio curl http://httpbin:8000/get` inside the fortio pod; `fortio server` (the image's default
// command) answers echo requests on 8080, or on HOST/PORT when the local runtime gives them.
import { curlMain, loadMain, parseFlags, startEchoServer } from '../../../src/loadgen/index.ts';
import type { EchoServer, LoadIo } from '../../../src/loadgen/index.ts';
import { isCaravelError, UsageError } from '../../../src/errors/index.ts';

const USAGE = `Usage: fortio command [flags] target
where command is one of: load (load testing), server (starts the echo server), curl (single URL
debug), version.
  fortio load -c 2 -qps 0 -n 20 -loglevel Warning http://httpbin:8000/get
  fortio curl http://httpbin:8000/get
  fortio server [-http-port 8080]`;

const identity = { version: 'caravel', userAgent: 'caravel-load' };

/** `fortio server`: the echo server, until `io.signal` ends it. Resolves with the bound server. */
export async function serverMain(args: readonly string[], io: LoadIo): Promise<EchoServer> {
  const { values } = parseFlags(args, {
    'http-port': { kind: 'string', help: 'HTTP echo server port, or host:port' },
  });
  const flag = values.get('http-port') as string | undefined;
  const colon = flag?.lastIndexOf(':') ?? -1;
  const host = (colon > 0 ? flag!.slice(0, colon) : undefined) || io.env.HOST || '0.0.0.0';
  const port = Number((colon >= 0 ? flag!.slice(colon + 1) : flag) ?? io.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`invalid -http-port "${flag ?? io.env.PORT}"`, {
      hint: 'write a port, such as -http-port 8080',
    });
  const server = await startEchoServer(host, port).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE' && e.code !== 'EADDRNOTAVAIL') throw e;
    throw new UsageError(`cannot listen on ${host}:${port}: ${e.message}`, {
      hint: 'choose another port with -http-port',
    });
  });
  io.out(`Fortio echo server listening on ${server.url}`);
  io.signal?.addEventListener('abort', () => void server.close(), { once: true });
  return server;
}

/** Runs one fortio command line; returns the exit status (`server` returns once it listens). */
export async function fortioMain(argv: readonly string[], io: LoadIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'load':
        return await loadMain(args, io, identity);
      case 'curl':
        return await curlMain(args, io, identity);
      case 'server':
        await serverMain(args, io);
        return 0;
      case 'version':
        io.out('caravel');
        return 0;
      case 'help':
      case undefined:
        io.out(USAGE);
        return command === undefined ? 1 : 0;
      default:
        io.err(`fortio: unknown command "${command}"\n${USAGE}`);
        return 1;
    }
  } catch (e) {
    if (isCaravelError(e) && e.userError) {
      io.err(`error: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  // Ctrl-C ends a load run early (its results are still printed); SIGTERM or Ctrl-C stops the server.
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const code = await fortioMain(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    cwd: process.cwd(),
    signal: stop.signal,
  });
  // A running server keeps the process alive until it is stopped.
  process.exitCode = code;
}
