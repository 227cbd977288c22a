import { loadBootstrap, Proxy, runPrimary, WorkerBridge, workerIndex } from '../../proxy/index.ts';
import type { LogLevel } from '../../proxy/index.ts';
import { UsageError } from '../../errors/index.ts';
import { CARAVEL_LOG_LEVEL, Settings } from '../../settings/index.ts';
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';

export const proxyCommand: Command = {
  name: 'proxy',
  summary: 'Run the sidecar or gateway proxy, configured by the control plane over xDS',
  usage: `caravel proxy --bootstrap FILE [--concurrency N] [--log-level debug|info|warn|error]

Runs one proxy (a pod's sidecar, or a gateway) until SIGTERM, SIGINT or POST /quitquitquit; then
readiness fails, listeners drain for the drain duration and the process exits.
--concurrency N runs N worker processes sharing the listeners (default 1); worker 0 serves the
admin endpoints and its /stats adds up every worker's stats.

The bootstrap file (YAML or JSON):

  node:
    id: sidecar~127.1.0.7~productpage-v1-0.default~default.svc.cluster.local
    cluster: productpage.default
    metadata:            # Istio's node metadata keys
      NAME: productpage-v1-0
      NAMESPACE: default
      LABELS: {app: productpage, version: v1}
      SERVICE_ACCOUNT: bookinfo-productpage
      INSTANCE_IPS: 127.1.0.7
      INTERCEPTION_MODE: NONE
  xds:
    address: 127.0.0.1:15010
    backoff: {base: 500ms, max: 30s}   # optional: reconnect back-off
  admin:
    address: 127.1.0.7:15000           # must be a loopback address
  readiness:
    address: 127.1.0.7:15021           # optional: GET /healthz/ready
  prometheus:
    address: 127.1.0.7:15090           # optional: GET /stats/prometheus
  drainDuration: 5s                    # optional`,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      { bootstrap: { type: 'string' }, 'log-level': { type: 'string' }, concurrency: { type: 'string' } },
      false,
    );
    if (!values.bootstrap)
      throw new UsageError('proxy needs a bootstrap file', {
        hint: 'caravel proxy --bootstrap bootstrap.yaml',
      });
    const level = values['log-level'] ?? new Settings(io.env).get(CARAVEL_LOG_LEVEL);
    if (!['debug', 'info', 'warn', 'error'].includes(level))
      throw new UsageError(`unknown log level "${level}"`, { hint: 'use debug, info, warn or error' });
    const concurrency = Number(values.concurrency ?? '1');
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
      throw new UsageError(`--concurrency must be a whole number from 1 to 64, got "${values.concurrency}"`);
    const bootstrap = loadBootstrap(values.bootstrap);
    const index = workerIndex(io.env);
    if (concurrency > 1 && index === undefined) return runPrimary(concurrency, io.err);
    const worker =
      index === undefined
        ? undefined
        : { index, count: concurrency, bridge: new WorkerBridge(() => proxy.stats.snapshot()) };
    const proxy: Proxy = new Proxy(bootstrap, { log: io.err, logLevel: level as LogLevel, worker });
    const stop = () => void proxy.stop();
    // A proxy keeps serving through a bug in one request's handling; the error is logged with its stack.
    const crash = (e: unknown) => proxy.log('error', `unexpected error: ${(e as Error).stack ?? String(e)}`);
    process.on('uncaughtException', crash);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      await proxy.start();
      await proxy.stopped;
    } finally {
      worker?.bridge.detach();
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
      process.removeListener('uncaughtException', crash);
    }
    return 0;
  },
};
