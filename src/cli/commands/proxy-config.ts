import { resolve } from 'node:path';
import { UsageError } from '../../errors/index.ts';
import { CARAVEL_STATE_DIR, Settings } from '../../settings/index.ts';
import type { Command } from '../command.ts';
import { outputFormat, parseFlags } from '../command.ts';
import type { ClusterFilter, EndpointFilter, ListenerFilter, RouteFilter } from '../istioctl/index.ts';
import {
  clusterHosts,
  clusterTable,
  dumpClusters,
  dumpListeners,
  dumpRoutes,
  dumpSection,
  edsTable,
  endpointTable,
  filterClusters,
  filterListeners,
  filterRoutes,
  listenerTable,
  podTable,
  proxyAdminGet,
  readMeshInfo,
  render,
  resolveProxyPod,
  routeTable,
  secretTable,
  untyped,
} from '../istioctl/index.ts';
import { STATE_DIR_USAGE, stateDirOption } from '../state.ts';

const VIEWS: Record<string, string> = {
  cluster: 'cluster',
  clusters: 'cluster',
  c: 'cluster',
  listener: 'listener',
  listeners: 'listener',
  l: 'listener',
  route: 'route',
  routes: 'route',
  r: 'route',
  endpoint: 'endpoint',
  endpoints: 'endpoint',
  ep: 'endpoint',
  bootstrap: 'bootstrap',
  b: 'bootstrap',
  secret: 'secret',
  secrets: 'secret',
  s: 'secret',
  all: 'all',
  a: 'all',
};

const FILTER_FLAGS = ['fqdn', 'port', 'subset', 'direction', 'address', 'type', 'name', 'cluster', 'status'];

// The filters each view takes, as istioctl's subcommands take them.
const FILTERS: Record<string, readonly string[]> = {
  cluster: ['fqdn', 'port', 'subset', 'direction'],
  listener: ['address', 'port', 'type'],
  route: ['name'],
  endpoint: ['address', 'port', 'cluster', 'status'],
  bootstrap: [],
  secret: [],
  all: FILTER_FLAGS,
};

function portOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`--port must be a port number, got "${value}"`, { hint: '--port 9080' });
  return n;
}

export const proxyConfigCommand: Command = {
  name: 'proxy-config',
  aliases: ['pc'],
  summary: "Show a proxy's clusters, listeners, routes, endpoints, bootstrap or secrets, as istioctl does",
  usage: `caravel proxy-config cluster|listener|route|endpoint|bootstrap|secret|all POD[.NAMESPACE] [options]

Reads the configuration the pod's sidecar holds (its admin API, /config_dump and /clusters) and
prints it as istioctl proxy-config (1.22) does. POD is a pod name, a unique prefix of one,
pod.namespace, or deploy/NAME. Plural forms and istioctl's short forms (c, l, r, ep, b, s, a) work.

  cluster    SERVICE FQDN, PORT, SUBSET, DIRECTION, TYPE, DESTINATION RULE; with -o wide also the
             circuit-breaker thresholds the proxy enforces (default priority): MAX CONN, MAX
             PENDING, MAX REQ, MAX RETRIES (Envoy's defaults 1024/1024/1024/3 where none is set).
             istioctl shows those only in -o json (circuitBreakers.thresholds).
  listener   ADDRESSES, PORT, MATCH, DESTINATION, one row per filter chain
  route      NAME, VHOST NAME, DOMAINS, MATCH, VIRTUAL SERVICE (RDS routes and listeners' inline ones)
  endpoint   ENDPOINT, STATUS, OUTLIER CHECK, CLUSTER
  bootstrap  the bootstrap configuration (JSON unless -o yaml)
  secret     RESOURCE NAME, TYPE, STATUS, VALID CERT, SERIAL NUMBER, NOT AFTER, NOT BEFORE
  all        every summary above (endpoints from the EDS configuration), names prefixed by type

Options:
  -n, --namespace NS       namespace of the pod (default "default")
  -o, --output FORMAT      short (default), json, yaml; wide for cluster
      --fqdn HOST          cluster: clusters whose name contains HOST
      --port N             cluster, listener, endpoint: that port
      --subset S           cluster: clusters whose name contains S
      --direction D        cluster: inbound or outbound
      --address A          listener, endpoint: that address
      --type T             listener: HTTP, TCP, HTTP+TCP
      --name N             route: the route configuration named N (such as 9080 or http_proxy)
      --cluster C          endpoint: the endpoints of cluster C
      --status S           endpoint: endpoints with that health status (HEALTHY, UNHEALTHY, …)
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
      fqdn: { type: 'string' },
      port: { type: 'string' },
      subset: { type: 'string' },
      direction: { type: 'string' },
      address: { type: 'string' },
      type: { type: 'string' },
      name: { type: 'string' },
      cluster: { type: 'string' },
      status: { type: 'string' },
      ...stateDirOption,
    });
    const [kind, target, ...extra] = positionals;
    const view = kind === undefined ? undefined : VIEWS[kind];
    if (view === undefined)
      throw new UsageError(
        kind === undefined ? 'proxy-config needs a view and a pod' : `unknown proxy-config view "${kind}"`,
        {
          hint: 'one of: cluster, listener, route, endpoint, bootstrap, secret, all — e.g. caravel proxy-config cluster productpage-v1',
        },
      );
    if (target === undefined || extra.length > 0)
      throw new UsageError(`proxy-config ${kind} needs exactly one pod`, {
        hint: `caravel proxy-config ${kind} productpage-v1 (a pod name, pod.namespace or deploy/NAME)`,
      });
    const allowed = FILTERS[view]!;
    const given = FILTER_FLAGS.filter((f) => values[f as keyof typeof values] !== undefined);
    const wrong = given.find((f) => !allowed.includes(f));
    if (wrong)
      throw new UsageError(`unknown flag: --${wrong} (proxy-config ${view} does not take it)`, {
        hint: allowed.length
          ? `its filters: ${allowed.map((f) => `--${f}`).join(', ')}`
          : `proxy-config ${view} takes no filters`,
      });
    const format = outputFormat(
      values.output,
      view === 'bootstrap'
        ? ['json', 'yaml']
        : view === 'cluster'
          ? ['short', 'json', 'yaml', 'wide']
          : ['short', 'json', 'yaml'],
    );
    if (values.direction !== undefined && !['inbound', 'outbound'].includes(values.direction))
      throw new UsageError(`--direction must be inbound or outbound, got "${values.direction}"`);
    const port = portOf(values.port);

    const stateDir = resolve(io.cwd, values['state-dir'] ?? new Settings(io.env).get(CARAVEL_STATE_DIR));
    readMeshInfo(stateDir);
    const pod = resolveProxyPod(podTable(stateDir), target, values.namespace);
    const clusterFilter: ClusterFilter = {
      fqdn: values.fqdn,
      port,
      subset: values.subset,
      direction: values.direction,
    };
    const listenerFilter: ListenerFilter = { address: values.address, port, type: values.type };
    const routeFilter: RouteFilter = { name: values.name };
    const endpointFilter: EndpointFilter = {
      address: values.address,
      port,
      cluster: values.cluster,
      status: values.status,
    };
    const print = (lines: readonly string[]) => io.out(lines.join('\n'));
    const structured = format === 'json' || format === 'yaml' ? format : undefined;

    if (view === 'endpoint') {
      const hosts = clusterHosts(await proxyAdminGet(pod, '/clusters?format=json'), endpointFilter);
      if (structured) {
        const byCluster = new Map<string, Record<string, unknown>[]>();
        for (const h of hosts) byCluster.set(h.cluster, [...(byCluster.get(h.cluster) ?? []), h.raw]);
        io.out(
          render(
            [...byCluster].map(([name, host_statuses]) => ({ name, host_statuses })),
            structured,
          ),
        );
      } else print(endpointTable(hosts));
      return 0;
    }
    const dump = await proxyAdminGet(pod, view === 'all' ? '/config_dump?include_eds' : '/config_dump');
    switch (view) {
      case 'cluster': {
        const clusters = filterClusters(dumpClusters(dump), clusterFilter);
        if (structured) io.out(render(untyped(clusters), structured));
        else print(clusterTable(clusters, { wide: format === 'wide' }));
        return 0;
      }
      case 'listener': {
        const listeners = filterListeners(dumpListeners(dump), listenerFilter);
        if (structured) io.out(render(untyped(listeners), structured));
        else print(listenerTable(listeners));
        return 0;
      }
      case 'route': {
        const routes = filterRoutes(dumpRoutes(dump), routeFilter);
        if (structured) io.out(render(untyped(routes), structured));
        else print(routeTable(routes));
        return 0;
      }
      case 'bootstrap': {
        const { ['@type']: _, ...bootstrap } = dumpSection(dump, 'BootstrapConfigDump') ?? {};
        io.out(render(bootstrap, structured ?? 'json'));
        return 0;
      }
      case 'secret': {
        const { ['@type']: _, ...secrets } = dumpSection(dump, 'SecretsConfigDump') ?? {};
        if (structured) io.out(render(secrets, structured));
        else print(secretTable(dump));
        return 0;
      }
      default: {
        if (structured) {
          io.out(render(dump, structured));
          return 0;
        }
        const typePrefix = true;
        print([
          ...clusterTable(filterClusters(dumpClusters(dump), clusterFilter), { typePrefix }),
          '',
          ...listenerTable(filterListeners(dumpListeners(dump), listenerFilter), { typePrefix }),
          '',
          ...routeTable(filterRoutes(dumpRoutes(dump), routeFilter), { typePrefix }),
          '',
          ...secretTable(dump, { typePrefix }),
          '',
          ...edsTable(dump, endpointFilter, { typePrefix }),
        ]);
        return 0;
      }
    }
  },
};
