import { formatIssue, hasErrors } from '../../api/index.ts';
import { MemoryStore, readManifestFiles } from '../../config/index.ts';
import { ConfigInvalidError, UsageError } from '../../errors/index.ts';
import { Settings } from '../../settings/index.ts';
import { startControlPlane } from '../../xds/index.ts';
import type { OutboundMode } from '../../xds/index.ts';
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag} must be a port number (0 picks a free one), not "${value}"`);
  return n;
}

export const discoveryCommand: Command = {
  name: 'discovery',
  summary: 'Run the control plane (xDS server and debug endpoints) on the given config',
  usage: `caravel discovery [-f PATH]… [--host ADDRESS] [--xds-port 15010] [--monitoring-port 15014]
                  [--outbound-traffic-policy ALLOW_ANY|REGISTRY_ONLY]

Serves xDS (ADS, plaintext) to sidecars, gateways and proxyless gRPC clients, built from the Istio
and Kubernetes resources in the files, and the monitoring port with /debug/syncz,
/debug/configz, /debug/config_dump?proxyID=…, /version and /metrics. Runs until interrupted.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      filename: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', short: 'n' },
      host: { type: 'string' },
      'xds-port': { type: 'string' },
      'monitoring-port': { type: 'string' },
      'outbound-traffic-policy': { type: 'string' },
    });
    const files = [...(values.filename ?? []), ...positionals];
    const policy = values['outbound-traffic-policy'] ?? 'ALLOW_ANY';
    if (policy !== 'ALLOW_ANY' && policy !== 'REGISTRY_ONLY')
      throw new UsageError(`unknown outbound traffic policy "${policy}"`, {
        hint: 'use ALLOW_ANY or REGISTRY_ONLY',
      });
    const loaded = files.length
      ? readManifestFiles(files, { namespace: values.namespace, stdin: io.stdin })
      : { manifests: [], issues: [] };
    for (const issue of loaded.issues) io.err(formatIssue(issue));
    if (hasErrors(loaded.issues))
      throw new ConfigInvalidError(
        'the config has errors; the control plane was not started',
        loaded.issues,
        {
          hint: 'fix the problems above, or check them with "caravel validate -f …"',
        },
      );
    const store = new MemoryStore();
    await store.apply(loaded.manifests);
    const cp = await startControlPlane({
      host: values.host ?? '127.0.0.1',
      xdsPort: port(values['xds-port'], 15010, '--xds-port'),
      monitoringPort: port(values['monitoring-port'], 15014, '--monitoring-port'),
      config: store,
      mesh: { outboundTrafficPolicy: policy as OutboundMode },
      settings: new Settings(io.env),
    });
    const host = values.host ?? '127.0.0.1';
    io.out(`xDS listening on ${host}:${cp.xdsPort}`);
    io.out(`monitoring on http://${host}:${cp.monitoringPort} (/debug/syncz, /debug/configz, /metrics)`);
    io.out(`${loaded.manifests.length} resources loaded, ${cp.registry.services().length} services`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await cp.close();
    return 0;
  },
};
