import { formatIssue, hasErrors } from '../../api/index.ts';
import { ApplyRejectedError, readManifestFiles, typeName } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import type { Command, Io } from '../command.ts';
import { parseFlags } from '../command.ts';
import { STATE_DIR_USAGE, stateDirOption, withStore } from '../state.ts';
import { kindByName } from '../targets.ts';

function printRejected(io: Io, error: ApplyRejectedError): never {
  for (const issue of error.issues) io.err(formatIssue(issue));
  throw error;
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Create or update objects from YAML files, all or nothing (like kubectl apply)',
  usage: `caravel apply -f PATH [-f PATH]… [-n NAMESPACE] [--dry-run=client|server]

Reads files, directories (recursively: .yaml, .yml, .json) or "-" for standard input, validates
every document, and applies them all only when every one is valid; otherwise nothing changes and
each problem is printed with its file and line. Objects without a namespace go to -n (default:
"default"); a document naming another namespace than -n is an error.

Options:
  -f, --filename PATH   file, directory or "-" (repeatable)
  -n, --namespace NS    namespace for documents that name none
      --dry-run MODE    validate and report what would change, without changing anything
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      filename: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', short: 'n' },
      'dry-run': { type: 'string' },
      ...stateDirOption,
    });
    if (positionals.length)
      throw new UsageError(`unexpected argument "${positionals[0]}"`, { hint: 'name files with -f' });
    const files = values.filename ?? [];
    if (files.length === 0)
      throw new UsageError('must specify -f', { hint: 'caravel apply -f bookinfo.yaml' });
    const dryRunMode = values['dry-run'];
    if (dryRunMode !== undefined && !['client', 'server', 'none'].includes(dryRunMode))
      throw new UsageError(`invalid --dry-run value "${dryRunMode}"`, { hint: 'use client, server or none' });
    const dryRun = dryRunMode === 'client' || dryRunMode === 'server';
    const read = readManifestFiles(files, { namespace: values.namespace, stdin: io.stdin });
    for (const issue of read.issues) if (issue.severity === 'warning') io.err(formatIssue(issue));
    if (!hasErrors(read.issues) && read.manifests.length === 0)
      throw new UsageError('no objects passed to apply', { hint: 'the files hold no documents' });
    await withStore(values['state-dir'], io, { readOnly: dryRun }, async (store) => {
      const errors = read.issues.filter((i) => i.severity === 'error');
      if (errors.length) {
        // Report what the store would refuse as well, so one run shows every problem.
        const more = await store.apply(read.manifests, { dryRun: true }).then(
          () => [],
          (e: unknown) => {
            if (e instanceof ApplyRejectedError) return e.issues;
            throw e;
          },
        );
        printRejected(io, new ApplyRejectedError([...errors, ...more]));
      }
      const outcomes = await store
        .apply(read.manifests, { dryRun })
        .catch((e: unknown) => (e instanceof ApplyRejectedError ? printRejected(io, e) : Promise.reject(e)));
      for (const o of outcomes)
        io.out(`${typeName(kindByName(o.ref.kind))}/${o.ref.name} ${o.action}${dryRun ? ' (dry run)' : ''}`);
    });
    return 0;
  },
};
