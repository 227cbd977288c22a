// caravel up: the local mesh in the foreground — control plane, ingress gateway, every workload
// with its sidecar — until Ctrl-C.
import { resolve } from 'node:path';
import { readSources } from '../../api/index.ts';
import type { SourceText } from '../../api/index.ts';
import { UsageError } from '../../errors/index.ts';
import { LocalMesh } from '../../runtime/index.ts';
import type { RuntimeEvent } from '../../runtime/index.ts';
import { CARAVEL_STATE_DIR, Settings } from '../../settings/index.ts';
import type { Command, Io } from '../command.ts';
import { parseFlags } from '../command.ts';
import { STATE_DIR_USAGE, stateDirOption } from '../state.ts';

export interface UpOptions {
  readonly extraSources?: readonly SourceText[];
  /** Printed once every pod is ready, with the gateway URL substituted for {gateway}. */
  readonly readyMessage?: (mesh: LocalMesh) => string;
  /** Ends the run (tests); otherwise Ctrl-C or SIGTERM does. */
  readonly signal?: AbortSignal;
}

const UP_FLAGS = {
  filename: { type: 'string', short: 'f', multiple: true },
  'gateway-port': { type: 'string' },
  'xds-port': { type: 'string' },
  'monitoring-port': { type: 'string' },
  'log-level': { type: 'string' },
  'ready-timeout': { type: 'string' },
  ...stateDirOption,
} as const;

export const UP_USAGE_FLAGS = `  -f, --filename PATH     apply these files or directories first (repeatable; all or nothing)
      --gateway-port N    host port of the ingress gateway's port 80 (default 8080)
      --xds-port N        control plane xDS port (default 15010)
      --monitoring-port N control plane monitoring port (default 15014)
      --log-level LEVEL   proxies' log level: debug, info, warn, error (default info)
${STATE_DIR_USAGE}`;

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag} must be a port number, got "${value}"`);
  return n;
}

function describe(event: RuntimeEvent): string | undefined {
  switch (event.type) {
    case 'pod': {
      const { info, status } = event.pod;
      return `  ${`${info.namespace}/${info.name}`.padEnd(48)} ${status.readyText.padEnd(5)} ${status.reason}`;
    }
    case 'pod-removed':
      return `  ${`${event.namespace}/${event.name}`.padEnd(48)} removed`;
    case 'errors':
      return (
        event.errors.map((e) => `  error: ${e.namespace}/${e.deployment}: ${e.message}`).join('\n') ||
        undefined
      );
  }
}

/** Runs the mesh until stopped; shared by `up` and `demo`. */
export async function runUp(args: readonly string[], io: Io, options: UpOptions = {}): Promise<number> {
  const { values } = parseFlags(args, UP_FLAGS, false);
  const stateDir = resolve(io.cwd, values['state-dir'] ?? new Settings(io.env).get(CARAVEL_STATE_DIR));
  const sources = [...(options.extraSources ?? []), ...readSources(values.filename ?? [], io.stdin)];
  let lastLine = new Map<string, string>();
  const mesh = await LocalMesh.start(
    {
      stateDir,
      gatewayPort: port(values['gateway-port'], '--gateway-port', 8080),
      xdsPort: port(values['xds-port'], '--xds-port', 15010),
      monitoringPort: port(values['monitoring-port'], '--monitoring-port', 15014),
      proxyLogLevel: values['log-level'],
      onEvent: (event) => {
        const line = describe(event);
        if (!line) return;
        // Print changes only: readiness probes report the same status many times.
        const key = event.type === 'pod' ? `${event.pod.info.namespace}/${event.pod.info.name}` : line;
        if (lastLine.get(key) === line) return;
        lastLine.set(key, line);
        io.out(line);
      },
    },
    sources,
  );
  io.out(
    `control plane: xDS 127.0.0.1:${mesh.info.xdsPort}, monitoring http://127.0.0.1:${mesh.info.monitoringPort}` +
      `\ningress gateway: ${mesh.info.gatewayUrl}\nstarting pods (state in ${stateDir}) …`,
  );
  const stopped = new Promise<number>((done) => {
    let stopping = false;
    const killNow = () => mesh.runtime.killNow();
    const stop = (code: number) => {
      // A repeated signal (timeout and shells signal the whole process group, and the launcher
      // forwards it too) must not cut the graceful stop short.
      if (stopping) return;
      stopping = true;
      io.out('stopping the mesh …');
      void mesh.stop().then(() => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        process.off('exit', killNow);
        done(code);
      });
    };
    const onInt = () => stop(130);
    const onTerm = () => stop(143);
    options.signal?.addEventListener('abort', () => stop(0), { once: true });
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // Whatever ends this process, no pod outlives it.
    process.on('exit', killNow);
  });
  const timeoutMs = Number(values['ready-timeout'] ?? '120') * 1000;
  void mesh.untilConverged(timeoutMs).then(
    () => {
      lastLine = new Map();
      io.out(
        options.readyMessage?.(mesh) ??
          `all pods are ready; the ingress gateway is at ${mesh.info.gatewayUrl}`,
      );
      io.out('Press Ctrl-C to stop.');
    },
    () =>
      io.out(
        `some pods are not ready after ${timeoutMs / 1000}s; see "caravel get pods -A" and "caravel logs POD"`,
      ),
  );
  return stopped;
}

export const upCommand: Command = {
  name: 'up',
  summary: 'Run the local mesh in the foreground: control plane, ingress gateway, workloads and sidecars',
  usage: `caravel up [-f PATH]… [--gateway-port 8080] [--state-dir DIR]

Starts the control plane, the ingress gateway and every Deployment of the applied config as local
processes; pods in namespaces labelled istio-injection=enabled get a sidecar. While it runs,
"caravel apply/delete/label" in another terminal take effect at once. Ctrl-C stops everything.

${UP_USAGE_FLAGS}`,
  run: (args, io) => runUp(args, io),
};
