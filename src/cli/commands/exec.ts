import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { CaravelError, UsageError } from '../../errors/index.ts';
import { planExec, podTableOf, resolveContainer, resolvePod } from '../../runtime/index.ts';
import { CARAVEL_STATE_DIR, Settings } from '../../settings/index.ts';
import type { Command, Io } from '../command.ts';
import { parseFlags } from '../command.ts';
import { STATE_DIR_USAGE, stateDirOption } from '../state.ts';

/** Sends text to `emit` a whole line at a time; `flush` sends what is left. */
export function lineWriter(emit: (line: string) => void): { write(text: string): void; flush(): void } {
  let rest = '';
  return {
    write(text) {
      const lines = (rest + text).split('\n');
      rest = lines.pop()!;
      for (const l of lines) emit(l);
    },
    flush() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}

async function run(argv: readonly string[], env: Record<string, string>, io: Io): Promise<number> {
  const out = lineWriter(io.out);
  const err = lineWriter(io.err);
  const child = spawn(argv[0]!, argv.slice(1), { env, cwd: io.cwd, stdio: ['inherit', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (t: string) => out.write(t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => err.write(t));
  return new Promise((resolveCode, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new CaravelError('EXEC_NOT_FOUND', `exec: "${argv[0]}": executable file not found in $PATH`, {
              hint: "commands run on this machine with the pod's environment: install it, or give its full path",
            })
          : e,
      ),
    );
    child.once('close', (code, signal) => {
      out.flush();
      err.flush();
      resolveCode(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

export const execCommand: Command = {
  name: 'exec',
  summary: 'Run a command in a pod of the local mesh: with its environment, through its sidecar',
  usage: `caravel exec POD|deploy/NAME [-n NAMESPACE] [-c CONTAINER] -- COMMAND [ARG…]

Runs COMMAND on this machine with the environment of the pod's container (HOST, PORT, POD_NAME, …),
so its HTTP calls go through the pod's sidecar (HTTP_PROXY/http_proxy), as from inside the pod.
Commands of sample images run as Caravel's own: for a fortio pod, "/usr/bin/fortio load …" runs
"caravel load …". deploy/NAME picks the deployment's first ready pod. The exit status is the
command's.

Options:
  -n, --namespace NS       namespace of the pod (default "default")
  -c, --container NAME     container whose environment to use (default: the pod's first app container)
${STATE_DIR_USAGE}`,
  async run(args, io) {
    const dash = args.indexOf('--');
    if (dash < 0)
      throw new UsageError('exec needs the command after "--"', {
        hint: 'caravel exec deploy/fortio-deploy -c fortio -- /usr/bin/fortio load -c 2 -qps 0 -n 20 http://httpbin:8000/get',
      });
    const command = args.slice(dash + 1);
    const { values, positionals } = parseFlags(args.slice(0, dash), {
      namespace: { type: 'string', short: 'n' },
      container: { type: 'string', short: 'c' },
      ...stateDirOption,
    });
    if (positionals.length !== 1)
      throw new UsageError('exec needs one pod (POD or deploy/NAME) before "--"', {
        hint: 'caravel exec deploy/sleep -- curl http://httpbin:8000/get',
      });
    if (command.length === 0)
      throw new UsageError('exec needs a command after "--"', { hint: 'caravel exec deploy/sleep -- env' });
    const stateDir = resolve(io.cwd, values['state-dir'] ?? new Settings(io.env).get(CARAVEL_STATE_DIR));
    const table = podTableOf(stateDir, { running: true });
    const pod = resolvePod(table, positionals[0]!, values.namespace ?? 'default');
    const { container, defaulted } = resolveContainer(pod, values.container);
    if (defaulted)
      io.err(
        `Defaulted container "${container.name}" out of: ${pod.containers.map((c) => c.name).join(', ')}`,
      );
    const plan = planExec(pod, container, command, { hostEnv: io.env });
    return run(plan.argv, { ...plan.env }, io);
  },
};
