import { formatIssue, hasErrors, loadFiles } from '../../api/index.ts';
import { UsageError } from '../../errors/index.ts';
import type { Command } from '../command.ts';
import { outputFormat, parseFlags } from '../command.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check Istio and Kubernetes YAML files without applying them',
  usage: `caravel validate -f PATH [-f PATH]… [-n NAMESPACE] [-o text|json]

Reads files, directories (recursively: .yaml, .yml, .json) or "-" for standard input, and reports
every problem with its file, line and field. Exit status: 0 valid, 1 invalid.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      filename: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
    });
    const files = [...(values.filename ?? []), ...positionals];
    if (files.length === 0)
      throw new UsageError('validate needs at least one file', { hint: 'caravel validate -f bookinfo.yaml' });
    const format = outputFormat(values.output, ['text', 'json']);
    const result = loadFiles(files, { defaultNamespace: values.namespace, stdin: io.stdin });
    const failed = hasErrors(result.issues);
    if (format === 'json') {
      io.out(
        JSON.stringify(
          {
            valid: !failed,
            resources: result.resources.map((r) => ({
              kind: r.kind,
              namespace: r.metadata.namespace,
              name: r.metadata.name,
              file: r.source?.file,
              line: r.source?.line,
            })),
            issues: result.issues,
          },
          null,
          2,
        ),
      );
    } else {
      for (const issue of result.issues) io.out(formatIssue(issue));
      const errors = result.issues.filter((i) => i.severity === 'error').length;
      io.out(
        failed
          ? `${errors} error${errors === 1 ? '' : 's'}; nothing is valid until they are fixed`
          : `${result.resources.length} resource${result.resources.length === 1 ? '' : 's'} valid`,
      );
    }
    return failed ? 1 : 0;
  },
};
