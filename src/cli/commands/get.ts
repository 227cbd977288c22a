import { selectorMatches } from '../../api/index.ts';
import type { KindDefinition } from '../../api/index.ts';
import { notFoundMessage, parseSelector, typeName } from '../../config/index.ts';
import type { StoreEntry } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import type { Command } from '../command.ts';
import { outputFormat, parseFlags } from '../command.ts';
import { columnsFor, labelColumn, labelsColumn } from '../render/columns.ts';
import type { Column } from '../render/columns.ts';
import { renderObjects } from '../render/objects.ts';
import { renderTable } from '../render/table.ts';
import { STATE_DIR_USAGE, stateDirOption, withStore } from '../state.ts';
import { parseTargets } from '../targets.ts';
import { livePods, podEntries, withDeploymentStatus } from '../live-status.ts';

interface Found {
  readonly def: KindDefinition;
  readonly entries: readonly StoreEntry[];
}

function table(
  found: Found,
  options: { allNamespaces: boolean; wide: boolean; prefix: boolean; extra: Column[] },
) {
  const now = new Date();
  const columns = columnsFor(found.def.kind, options.wide);
  const withNamespace = options.allNamespaces && found.def.namespaced;
  const header = [
    ...(withNamespace ? ['NAMESPACE'] : []),
    'NAME',
    ...columns.map((c) => c.header),
    ...options.extra.map((c) => c.header),
  ];
  const rows = found.entries.map((e) => {
    const m = e.resource.metadata;
    return [
      ...(withNamespace ? [m.namespace ?? ''] : []),
      options.prefix ? `${typeName(found.def)}/${m.name}` : m.name,
      ...columns.map((c) => c.value(e.object, now)),
      ...options.extra.map((c) => c.value(e.object, now)),
    ];
  });
  return renderTable([header, ...rows]);
}

export const getCommand: Command = {
  name: 'get',
  summary: 'List objects in kubectl-style tables, or print them as YAML or JSON',
  usage: `caravel get TYPE[,TYPE…] [NAME…] [-n NS | -A] [-l SELECTOR] [-o wide|yaml|json|name]
caravel get TYPE/NAME…

Types take Istio's and kubectl's names: virtualservices (vs), destinationrules (dr), gateways (gw),
serviceentries (se), peerauthentications (pa), authorizationpolicies (ap), services (svc),
deployments (deploy), namespaces (ns), pods (po), …

Options:
  -n, --namespace NS        namespace to list (default: "default")
  -A, --all-namespaces      list every namespace
  -l, --selector SELECTOR   only objects whose labels match, e.g. app=reviews,version in (v1,v2)
  -o, --output FORMAT       wide, yaml, json or name
  -L, --label-columns KEYS  add a column per label key (comma-separated, repeatable)
      --show-labels         add a LABELS column
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      selector: { type: 'string', short: 'l' },
      output: { type: 'string', short: 'o' },
      'label-columns': { type: 'string', short: 'L', multiple: true },
      'show-labels': { type: 'boolean' },
      ...stateDirOption,
    });
    const format = outputFormat(values.output ?? 'table', ['table', 'wide', 'yaml', 'json', 'name']);
    const targets = parseTargets(positionals, 'get');
    const allNamespaces = values['all-namespaces'] === true;
    if (allNamespaces && targets.some((t) => t.names))
      throw new UsageError('a resource cannot be retrieved by name across all namespaces');
    const namespace = values.namespace ?? 'default';
    const selector = values.selector !== undefined ? parseSelector(values.selector) : undefined;
    return withStore(values['state-dir'], io, { readOnly: true }, async (store) => {
      let failed = false;
      const found: Found[] = [];
      const pods = livePods(store.dir);
      for (const t of targets) {
        const scope = t.def.namespaced && !allNamespaces ? namespace : undefined;
        if (t.def.kind === 'Pod') {
          const entries = podEntries(pods, {
            namespace: scope,
            names: t.names,
            matches: selector && ((labels) => selectorMatches(selector, labels)),
          });
          for (const name of t.names ?? []) {
            if (entries.some((e) => e.resource.metadata.name === name)) continue;
            io.err(`Error from server (NotFound): ${notFoundMessage(t.def, name)}`);
            failed = true;
          }
          found.push({ def: t.def, entries });
          continue;
        }
        const live = (e: StoreEntry) => (t.def.kind === 'Deployment' ? withDeploymentStatus(e, pods) : e);
        if (!t.names) {
          found.push({
            def: t.def,
            entries: store.entries({ kind: t.def.kind, namespace: scope, selector }).map(live),
          });
          continue;
        }
        const entries: StoreEntry[] = [];
        for (const name of t.names) {
          const e = store.entry(
            scope === undefined ? { kind: t.def.kind, name } : { kind: t.def.kind, namespace: scope, name },
          );
          if (e) entries.push(live(e));
          else {
            io.err(`Error from server (NotFound): ${notFoundMessage(t.def, name)}`);
            failed = true;
          }
        }
        found.push({ def: t.def, entries });
      }
      const all = found.flatMap((f) => f.entries);
      if (format === 'yaml' || format === 'json') {
        const single = targets.length === 1 && targets[0]!.names?.length === 1;
        if (all.length || !failed)
          io.out(
            renderObjects(
              all.map((e) => e.object),
              format,
              single,
            ),
          );
      } else if (format === 'name') {
        for (const f of found)
          for (const e of f.entries) io.out(`${typeName(f.def)}/${e.resource.metadata.name}`);
      } else if (all.length === 0) {
        if (!failed) {
          const namespaced = targets.some((t) => t.def.namespaced);
          io.err(
            namespaced && !allNamespaces
              ? `No resources found in ${namespace} namespace.`
              : 'No resources found',
          );
        }
      } else {
        const extra = (values['label-columns'] ?? [])
          .flatMap((v) => v.split(','))
          .filter(Boolean)
          .map(labelColumn);
        if (values['show-labels']) extra.push(labelsColumn);
        const options = { allNamespaces, wide: format === 'wide', prefix: targets.length > 1, extra };
        const blocks = found.filter((f) => f.entries.length).map((f) => table(f, options).join('\n'));
        io.out(blocks.join('\n\n'));
      }
      return failed ? 1 : 0;
    });
  },
};
