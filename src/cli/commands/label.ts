import { parseSelector, refOf, typeName } from '../../config/index.ts';
import type { ObjectRef } from '../../config/index.ts';
import { NotFoundError, UsageError } from '../../errors/index.ts';
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';
import { STATE_DIR_USAGE, stateDirOption, withStore } from '../state.ts';
import { kindByName, parseTargets } from '../targets.ts';

/** Splits `key=value` and `key-` arguments from the object arguments before them. */
function splitLabelArgs(args: readonly string[]) {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const objects: string[] = [];
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq > 0) set[a.slice(0, eq)] = a.slice(eq + 1);
    else if (a.endsWith('-') && a.length > 1 && objects.length > 0) remove.push(a.slice(0, -1));
    else if (Object.keys(set).length || remove.length)
      throw new UsageError(`"${a}" is not a label: write key=value to set one, key- to remove one`);
    else objects.push(a);
  }
  for (const k of remove)
    if (k in set) throw new UsageError(`can not both modify and remove the label "${k}" in the same command`);
  return { set, remove, objects };
}

export const labelCommand: Command = {
  name: 'label',
  summary: 'Set or remove labels on objects (like kubectl label)',
  usage: `caravel label TYPE NAME… KEY=VALUE… [KEY-…] [--overwrite] [-n NS]
caravel label TYPE/NAME… KEY=VALUE…
caravel label TYPE (--all | -l SELECTOR) KEY=VALUE…

Examples:
  caravel label namespace default istio-injection=enabled
  caravel label namespace default istio-injection-          (removes the label)
  caravel label namespace default istio-injection=disabled --overwrite

Options:
      --overwrite           replace labels that already have a different value
  -n, --namespace NS        namespace of namespaced objects (default: "default")
      --all                 every object of the type in the namespace
  -l, --selector SELECTOR   objects whose labels match
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      overwrite: { type: 'boolean' },
      namespace: { type: 'string', short: 'n' },
      all: { type: 'boolean' },
      selector: { type: 'string', short: 'l' },
      ...stateDirOption,
    });
    const { set, remove, objects } = splitLabelArgs(positionals);
    if (Object.keys(set).length === 0 && remove.length === 0)
      throw new UsageError('at least one label update is required', {
        hint: 'caravel label namespace default istio-injection=enabled',
      });
    const targets = parseTargets(objects, 'label');
    const bulk = values.all === true || values.selector !== undefined;
    if (!bulk && targets.some((t) => !t.names))
      throw new UsageError(
        'one or more resources must be specified as <resource> <name> or <resource>/<name>',
      );
    const selector = values.selector !== undefined ? parseSelector(values.selector) : undefined;
    const namespace = values.namespace ?? 'default';
    return withStore(values['state-dir'], io, {}, async (store) => {
      await store.sync();
      const refs: ObjectRef[] = [];
      for (const t of targets) {
        if (t.names) {
          for (const name of t.names)
            refs.push(t.def.namespaced ? { kind: t.def.kind, namespace, name } : { kind: t.def.kind, name });
        } else {
          const scope = t.def.namespaced ? namespace : undefined;
          refs.push(...store.list({ kind: t.def.kind, namespace: scope, selector }).map(refOf));
        }
      }
      if (refs.length === 0) {
        io.err('No resources found');
        return 0;
      }
      const outcomes = await store
        .label(refs, { set, remove }, { overwrite: values.overwrite === true })
        .catch((e: unknown) => {
          if (!(e instanceof NotFoundError)) throw e;
          io.err(`Error from server (NotFound): ${e.message}`);
          return undefined;
        });
      if (!outcomes) return 1;
      for (const o of outcomes) {
        for (const k of o.absent) io.err(`label "${k}" not found.`);
        io.out(`${typeName(kindByName(o.ref.kind))}/${o.ref.name} ${o.changed ? 'labeled' : 'not labeled'}`);
      }
      return 0;
    });
  },
};
