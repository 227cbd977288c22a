import { caravelVersion } from '../../common/index.ts';
import { resolve } from 'node:path';
import { CARAVEL_STATE_DIR, Settings } from '../../settings/index.ts';
import type { Command } from '../command.ts';
import { outputFormat, parseFlags } from '../command.ts';
import { controlPlaneGet, readMeshInfo } from '../istioctl/index.ts';
import { STATE_DIR_USAGE, stateDirOption } from '../state.ts';

/** The running control plane's version, or why there is none (as istioctl version says). */
async function controlPlane(stateDir: string): Promise<{ version?: string; error?: string }> {
  try {
    const info = readMeshInfo(stateDir);
    const answer = (await controlPlaneGet(info, '/version')) as { version?: string };
    return { version: answer.version ?? 'unknown' };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the versions of caravel and of the running control plane',
  usage: `caravel version [--remote=false] [-o short|json]

Options:
      --remote=false      only the client's version
  -o, --output FORMAT     short or json
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      { output: { type: 'string', short: 'o' }, remote: { type: 'string' }, ...stateDirOption },
      false,
    );
    const format = outputFormat(values.output, ['short', 'json']);
    const client = { version: caravelVersion(), node: process.versions.node };
    const stateDir = resolve(io.cwd, values['state-dir'] ?? new Settings(io.env).get(CARAVEL_STATE_DIR));
    const remote = values.remote === 'false' ? undefined : await controlPlane(stateDir);
    if (format === 'json') {
      io.out(JSON.stringify({ client, ...(remote ? { controlPlane: remote } : {}) }, null, 2));
      return 0;
    }
    io.out(`client version: ${client.version}`);
    if (remote?.version) io.out(`control plane version: ${remote.version}`);
    else if (remote) io.out(`control plane version: none (${remote.error?.split('\n')[0]})`);
    return 0;
  },
};
