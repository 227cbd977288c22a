import { resolve } from 'node:path';
import { UsageError } from '../../errors/index.ts';
import {
  followLog,
  logPath,
  logSize,
  podTableOf,
  readLog,
  readPodTable,
  resolveContainer,
  resolvePod,
  runtimeAlive,
} from '../../runtime/index.ts';
import { CARAVEL_STATE_DIR, Settings } from '../../settings/index.ts';
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';
import { STATE_DIR_USAGE, stateDirOption } from '../state.ts';
import { lineWriter } from './exec.ts';

export const logsCommand: Command = {
  name: 'logs',
  summary: 'Print the logs of a container in a pod of the local mesh',
  usage: `caravel logs POD|deploy/NAME [-n NAMESPACE] [-c CONTAINER] [-f] [--tail N]

Prints what the container wrote to stdout and stderr (the sidecar is container istio-proxy).
deploy/NAME picks the deployment's first ready pod.

Options:
  -n, --namespace NS       namespace of the pod (default "default")
  -c, --container NAME     container to read (default: the pod's first app container)
  -f, --follow             keep printing what is written, until Ctrl-C or the pod stops
      --tail N             only the last N lines (default: all)
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      namespace: { type: 'string', short: 'n' },
      container: { type: 'string', short: 'c' },
      follow: { type: 'boolean', short: 'f' },
      tail: { type: 'string' },
      ...stateDirOption,
    });
    if (positionals.length !== 1)
      throw new UsageError('logs needs one pod (POD or deploy/NAME)', {
        hint: 'caravel logs deploy/productpage-v1 -c istio-proxy',
      });
    const tail = values.tail === undefined ? undefined : Number(values.tail);
    if (tail !== undefined && !Number.isInteger(tail))
      throw new UsageError(`--tail must be a whole number, got "${values.tail}"`, { hint: '--tail 20' });
    const stateDir = resolve(io.cwd, values['state-dir'] ?? new Settings(io.env).get(CARAVEL_STATE_DIR));
    const namespace = values.namespace ?? 'default';
    const pod = resolvePod(podTableOf(stateDir, { running: false }), positionals[0]!, namespace);
    const { container, defaulted } = resolveContainer(pod, values.container);
    if (defaulted)
      io.err(
        `Defaulted container "${container.name}" out of: ${pod.containers.map((c) => c.name).join(', ')}`,
      );
    const path = logPath(stateDir, pod.namespace, pod.name, container.name);
    const from = logSize(path);
    const text = readLog(path, tail === undefined ? {} : { tail });
    const out = lineWriter(io.out);
    out.write(text);
    if (!values.follow) {
      out.flush();
      return 0;
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    // Following ends when the pod is gone or stopped, as kubectl's ends with the container.
    const watch = setInterval(() => {
      const table = readPodTable(stateDir);
      const now = table?.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name);
      if (!table || !runtimeAlive(table) || !now || now.reason === 'Stopped') stop.abort();
    }, 200);
    try {
      await followLog(path, (t) => out.write(t), { signal: stop.signal, from });
    } finally {
      clearInterval(watch);
      process.off('SIGINT', onSignal);
      out.flush();
    }
    return 0;
  },
};
