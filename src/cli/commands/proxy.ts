import { flushCompileCache } from 'node:module';
import type { LogLevel, Proxy } from '../../proxy/index.ts';
// Only the bootstrap reader and the worker machinery are loaded up front: the primary of
// --concurrency N just forks its workers, and would carry the whole proxy for nothing.
import { loadBootstrap } from '../../proxy/bootstrap.ts';
import { runPrimary, WorkerBridge, workerIndex } from '../../proxy/workers.ts';
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
    apiType: DELTA_GRPC                # optional: DELTA_GRPC (incremental) or GRPC (state of the world)
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
    const bootstrap = await loadBootstrap(values.bootstrap);
    const index = workerIndex(io.env);
    if (concurrency > 1 && index === undefined) return runPrimary(concurrency, io.err);
    const { Proxy } = await import('../../proxy/index.ts');
    // The proxies started after this one find its modules compiled (see bin/caravel.mjs).
    flushCompileCache();
    const worker =
      index === undefined
        ? undefined
        : { index, count: concurrency, bridge: new WorkerBridge(() => proxy.stats.snapshot()) };
    const proxy: Proxy = new Proxy(bootstrap, { log: io.err, logLevel: level as LogLevel, worker });
    const stop = () => void proxy.stop();
    // A proxy keeps serving through a bug in one request's handling; the error is logged with its stack.
    const crash = (e: unknown) => proxy.log('error', `unexpected error: ${(e as Error).stack ?? String(e)}`);
    // Once the reader of the logs is gone (EPIPE), lines are dropped: a failed write reaching the crash
    // handler would log again, fail again, and spin for ever.
    const dropped = () => {};
    process.stdout.on('error', dropped);
    process.stderr.on('error', dropped);
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
      process.stdout.removeListener('error', dropped);
      process.stderr.removeListener('error', dropped);
    }
    return 0;
  },
};
