import { readFileSync } from 'node:fs';
import type { Command } from '../command.ts';
import { outputFormat, parseFlags } from '../command.ts';

export function caravelVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the version of caravel',
  usage: 'caravel version [-o json]',
  async run(args, io) {
    const { values } = parseFlags(args, { output: { type: 'string', short: 'o' } }, false);
    const format = outputFormat(values.output, ['short', 'json']);
    const info = { client: { version: caravelVersion(), node: process.versions.node } };
    io.out(format === 'json' ? JSON.stringify(info, null, 2) : `client version: ${info.client.version}`);
    return 0;
  },
};
