import {
  analyze,
  analyzeTexts,
  builtinAnalyzers,
  formatMessage,
  hasErrorMessages,
  messageTypes,
  messagesToJson,
  readSources,
} from '../../api/index.ts';
import { UsageError } from '../../errors/index.ts';
import type { Command, Io } from '../command.ts';
import { outputFormat, parseFlags } from '../command.ts';
import { STATE_DIR_USAGE, stateDirOption, withStore } from '../state.ts';

function listAnalyzers(io: Io): number {
  const analyzers = builtinAnalyzers().all();
  const width = Math.max(...analyzers.map((a) => a.name.length));
  io.out('Analyzers:');
  for (const a of analyzers)
    io.out(`  ${a.name.padEnd(width)}  ${a.description} (reads ${a.inputs.join(', ')})`);
  io.out('');
  io.out('Messages:');
  for (const t of messageTypes) io.out(`  ${t.code}  ${t.level.padEnd(7)}  ${t.name}: ${t.description}`);
  return 0;
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'Find problems across Istio and Kubernetes resources, as istioctl analyze does',
  usage: `caravel analyze [-f PATH]… [-n NAMESPACE | -A] [-o text|json] [--state-dir DIR]
caravel analyze --list-analyzers

Without -f, analyses the configuration applied to the local mesh. With -f, analyses only the files
(directories recursively: .yaml, .yml, .json; "-" for standard input), offline: they are
validated first, then checked against each other. Both check the resources against each other: gateways, hosts and subsets that routes refer to,
route weights, conflicting VirtualServices, DestinationRules and PeerAuthentications, Gateway
selectors, subsets and namespaces without workloads or injection. File documents that fail
validation are reported as IST0106 and left out; the analysis goes on with the rest.

Messages carry Istio's codes (IST0101…) where Istio has one, and Caravel's (CVL1001…) otherwise;
--list-analyzers lists both. Messages about resources outside NAMESPACE (default "default") are
left out unless -A is given. The ingress gateway that local mode runs by itself (istio-system,
labels istio=ingressgateway, app=istio-ingressgateway) counts as a deployed workload.

Options:
  -f, --filename PATH      file, directory or "-" to analyse (repeatable)
  -n, --namespace NS       namespace to report on, and to place resources that name none in
  -A, --all-namespaces     report on every namespace
  -o, --output FORMAT      text (default) or json
  -L, --list-analyzers     list the analyzers and the messages they report
${STATE_DIR_USAGE}

Exit status: 0 when no message is an error (warnings and info allowed), 1 otherwise.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      filename: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o' },
      'list-analyzers': { type: 'boolean', short: 'L' },
      ...stateDirOption,
    });
    if (values['list-analyzers']) return listAnalyzers(io);
    const format = outputFormat(values.output, ['text', 'json']);
    const files = [...(values.filename ?? []), ...positionals];
    const all = values['all-namespaces'] ?? false;
    if (all && values.namespace !== undefined)
      throw new UsageError('-n and -A cannot be used together', {
        hint: 'use -A alone to report on every namespace',
      });
    if (files.length > 0 && values['state-dir'] !== undefined)
      throw new UsageError('--state-dir and -f cannot be used together', {
        hint: 'files are analysed on their own; leave out -f to analyse the applied configuration',
      });
    const namespace = values.namespace ?? 'default';
    const options = { namespace, allNamespaces: all };
    const messages =
      files.length > 0
        ? analyzeTexts(readSources(files, io.stdin), options).messages
        : await withStore(values['state-dir'], io, { readOnly: true }, async (store) =>
            analyze(store.list(), options),
          );
    const failed = hasErrorMessages(messages);
    const scope = all ? 'all namespaces' : `namespace: ${namespace}`;
    if (format === 'json') io.out(JSON.stringify(messagesToJson(messages), null, 2));
    else if (messages.length === 0) io.out(`✔ No validation issues found when analyzing ${scope}.`);
    else for (const m of messages) io.out(formatMessage(m));
    if (failed && format === 'text') io.err(`error: analyzers found issues when analyzing ${scope}.`);
    return failed ? 1 : 0;
  },
};
