import { resolve } from 'node:path';
import { UsageError } from '../../errors/index.ts';
import { CARAVEL_STATE_DIR, Settings } from '../../settings/index.ts';
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';
import {
  compareDumps,
  controlPlaneGet,
  MeshRequestError,
  nackLines,
  podTable,
  proxyAdminGet,
  proxyName,
  readMeshInfo,
  resolveProxyPod,
  statusTable,
} from '../istioctl/index.ts';
import { STATE_DIR_USAGE, stateDirOption } from '../state.ts';

export const proxyStatusCommand: Command = {
  name: 'proxy-status',
  aliases: ['ps'],
  summary: "Show each proxy's xDS sync status, or diff one proxy's config against the control plane's",
  usage: `caravel proxy-status [POD[.NAMESPACE] | deploy/NAME] [-n NAMESPACE] [--state-dir DIR]

Without a pod: one row per proxy connected to the control plane of the running mesh, as istioctl
(1.22) prints it: NAME (pod.namespace), CLUSTER, CDS, LDS, EDS, RDS, ECDS, ISTIOD, VERSION. Each type
is SYNCED (the proxy acknowledged what was last sent), STALE (sent, not yet acknowledged), NOT SENT,
or ERROR (the proxy rejected it: a NACK). Caravel serves no ECDS, so that column is NOT SENT.

With a pod (a name, a unique prefix of one, pod.namespace or deploy/NAME): what the control plane
last sent that proxy against what the proxy holds, clusters, listeners and routes in turn, as a
unified diff, or "Clusters Match", "Listeners Match", "Routes Match (RDS last loaded at …)"; then why
the proxy rejected a configuration, if it did.

Options:
  -n, --namespace NS       namespace of the pod (default "default")
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      namespace: { type: 'string', short: 'n' },
      ...stateDirOption,
    });
    if (positionals.length > 1)
      throw new UsageError('proxy-status takes at most one pod', {
        hint: 'caravel proxy-status productpage-v1',
      });
    const stateDir = resolve(io.cwd, values['state-dir'] ?? new Settings(io.env).get(CARAVEL_STATE_DIR));
    const info = readMeshInfo(stateDir);
    const rows = (await controlPlaneGet(info, '/debug/syncz')) as Record<string, unknown>[];
    const target = positionals[0];
    if (target === undefined) {
      const version = (await controlPlaneGet(info, '/version')) as { version?: string };
      io.out(statusTable(rows, `caravel-${info.pid}`, version.version ?? '').join('\n'));
      return 0;
    }
    const pod = resolveProxyPod(podTable(stateDir), target, values.namespace);
    const id = `${pod.name}.${pod.namespace}`;
    const row = rows.find((r) => proxyName(String(r.proxy)) === id);
    if (!row)
      throw new MeshRequestError(
        `the proxy of ${id} is not connected to the control plane`,
        `caravel logs ${pod.name} -n ${pod.namespace} -c istio-proxy shows why`,
      );
    const sent = await controlPlaneGet(info, `/debug/config_dump?proxyID=${encodeURIComponent(id)}`);
    const held = await proxyAdminGet(pod, '/config_dump');
    io.out([...compareDumps(sent, held), ...nackLines(row)].join('\n'));
    return 0;
  },
};
