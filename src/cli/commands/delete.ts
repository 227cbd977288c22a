import { builtinKinds, formatIssue, parseSources, readSources } from '../../api/index.ts';
import type { Issue } from '../../api/index.ts';
import {
  notFoundMessage,
  objectKey,
  parseSelector,
  pluralName,
  refOf,
  typeName,
} from '../../config/index.ts';
import type { DeleteOutcome, ObjectRef } from '../../config/index.ts';
import { ConfigInvalidError, UsageError } from '../../errors/index.ts';
import type { Command, Io } from '../command.ts';
import { parseFlags } from '../command.ts';
import { STATE_DIR_USAGE, stateDirOption, withStore } from '../state.ts';
import { kindByName, parseTargets } from '../targets.ts';

interface Request {
  readonly ref: ObjectRef;
  /** The file that named it, for kubectl's "error when deleting" wording. */
  readonly file?: string;
}

/** Objects named by manifests: only kind, name and namespace matter, as for kubectl delete -f. */
function requestsFromFiles(files: readonly string[], namespace: string | undefined, io: Io): Request[] {
  const parsed = parseSources(readSources(files, io.stdin));
  const issues: Issue[] = [...parsed.issues];
  const out: Request[] = [];
  for (const doc of parsed.documents) {
    const v = doc.value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const at = { severity: 'error' as const, file: doc.file, line: doc.line };
    const def = typeof v?.kind === 'string' ? builtinKinds().byKind(v.kind) : undefined;
    const name = v?.metadata?.name;
    if (!def || typeof name !== 'string') {
      issues.push({
        ...at,
        code: def ? 'missing-field' : 'unknown-kind',
        message: def ? 'metadata.name is required' : `unknown kind ${JSON.stringify(v?.kind)}`,
      });
      continue;
    }
    const own = typeof v.metadata?.namespace === 'string' ? v.metadata.namespace : undefined;
    if (namespace !== undefined && own !== undefined && own !== namespace) {
      issues.push({
        ...at,
        code: 'namespace-mismatch',
        message: `the namespace from the provided object "${own}" does not match the namespace "${namespace}"`,
        hint: `pass --namespace=${own}`,
      });
      continue;
    }
    const ns = own ?? namespace ?? 'default';
    out.push({
      ref: def.namespaced ? { kind: def.kind, namespace: ns, name } : { kind: def.kind, name },
      file: doc.file,
    });
  }
  if (issues.length) {
    for (const i of issues) io.err(formatIssue(i));
    throw new ConfigInvalidError('nothing was deleted: the files have errors', issues);
  }
  return out;
}

function report(io: Io, outcome: DeleteOutcome, file: string | undefined, ignoreNotFound: boolean): boolean {
  const def = kindByName(outcome.ref.kind);
  const name = outcome.ref.name;
  const when = file ? `error when deleting "${file}": ` : '';
  switch (outcome.result) {
    case 'deleted':
      io.out(`${typeName(def)} "${name}" deleted`);
      return true;
    case 'not-found':
      if (ignoreNotFound) return true;
      io.err(`Error from server (NotFound): ${when}${notFoundMessage(def, name)}`);
      return false;
    case 'forbidden':
      io.err(
        `Error from server (Forbidden): ${when}${pluralName(def)} "${name}" is forbidden: this namespace may not be deleted`,
      );
      return false;
  }
}

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'Delete objects by file, by type and name, or by selector (like kubectl delete)',
  usage: `caravel delete -f PATH [-f PATH]…
caravel delete TYPE[,TYPE…] NAME… | TYPE/NAME… | TYPE[,TYPE…] (--all | -l SELECTOR) [-n NS | -A]

Deletes what exists and reports the rest as not found (exit status 1). Deleting a namespace
deletes everything in it.

Options:
  -f, --filename PATH       delete the objects these files describe
  -n, --namespace NS        namespace (default: "default")
  -A, --all-namespaces      with --all or -l: in every namespace
      --all                 every object of the given types
  -l, --selector SELECTOR   objects whose labels match, e.g. app=reviews,version!=v1
      --ignore-not-found    treat missing objects as deleted
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      filename: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      all: { type: 'boolean' },
      selector: { type: 'string', short: 'l' },
      'ignore-not-found': { type: 'boolean' },
      ...stateDirOption,
    });
    const files = values.filename ?? [];
    const bulk = values.all === true || values.selector !== undefined;
    if (files.length && positionals.length)
      throw new UsageError('name objects either with -f or by type and name, not both');
    const fromFiles = files.length ? requestsFromFiles(files, values.namespace, io) : undefined;
    const targets = fromFiles ? [] : parseTargets(positionals, 'delete');
    if (!fromFiles && bulk && targets.some((t) => t.names))
      throw new UsageError('--all and -l select objects themselves; name no objects with them');
    if (!fromFiles && !bulk && targets.some((t) => !t.names))
      throw new UsageError('resource(s) were provided, but no name was specified', {
        hint: 'name the objects, or pass --all or -l SELECTOR',
      });
    const selector = values.selector !== undefined ? parseSelector(values.selector) : undefined;
    const namespace = values.namespace ?? 'default';
    let ok = true;
    await withStore(values['state-dir'], io, {}, async (store) => {
      const requests: Request[] = fromFiles ?? [];
      for (const t of targets) {
        if (t.names) {
          for (const name of t.names)
            requests.push({
              ref: t.def.namespaced ? { kind: t.def.kind, namespace, name } : { kind: t.def.kind, name },
            });
          continue;
        }
        await store.sync();
        const scope = t.def.namespaced && !values['all-namespaces'] ? namespace : undefined;
        for (const e of store.entries({ kind: t.def.kind, namespace: scope, selector })) {
          requests.push({ ref: refOf(e.resource) });
        }
      }
      if (requests.length === 0) {
        io.err('No resources found');
        return;
      }
      const fileOf = new Map(requests.map((r) => [objectKey(r.ref), r.file]));
      for (const o of await store.delete(requests.map((r) => r.ref))) {
        if (!report(io, o, fileOf.get(objectKey(o.ref)), values['ignore-not-found'] === true)) ok = false;
      }
    });
    return ok ? 0 : 1;
  },
};
