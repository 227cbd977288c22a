// caravel completion bash|zsh: shell completion for commands, resource types and pod names.
import { builtinKinds } from '../../api/index.ts';
import { UsageError } from '../../errors/index.ts';
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';

function typeNames(): string[] {
  return builtinKinds()
    .all()
    .flatMap((d) => [d.plural, ...d.shortNames])
    .sort();
}

// Commands whose first argument is a resource type, and those whose first argument is a pod.
const TAKES_TYPE = ['get', 'delete', 'label'];
const TAKES_POD = ['exec', 'logs', 'proxy-config', 'proxy-status'];

function bashScript(commands: readonly string[]): string {
  return `# caravel bash completion; load with: source <(caravel completion bash)
_caravel_pods() {
  caravel get pods -A -o name 2>/dev/null | sed 's#^pod/##'
}
_caravel() {
  local cur prev words cword
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") )
    return
  fi
  case "$prev" in
    -f|--filename|--state-dir) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  local cmd="\${COMP_WORDS[1]}"
  case " ${TAKES_TYPE.join(' ')} " in
    *" $cmd "*) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=( $(compgen -W "${typeNames().join(' ')}" -- "$cur") ); return ;;
  esac
  case " ${TAKES_POD.join(' ')} " in
    *" $cmd "*) COMPREPLY=( $(compgen -W "cluster listener route endpoint bootstrap secret all $(_caravel_pods)" -- "$cur") ); return ;;
  esac
  COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -F _caravel caravel
`;
}

function zshScript(commands: readonly string[]): string {
  return `#compdef caravel
# caravel zsh completion; load with: source <(caravel completion zsh)
autoload -U bashcompinit && bashcompinit
${bashScript(commands)}`;
}

export function completionCommand(commandNames: () => readonly string[]): Command {
  return {
    name: 'completion',
    summary: 'Print a shell completion script (bash or zsh)',
    usage: `caravel completion bash|zsh

  source <(caravel completion bash)     # in ~/.bashrc
  source <(caravel completion zsh)      # in ~/.zshrc`,
    async run(args, io) {
      const { positionals } = parseFlags(args, {});
      const shell = positionals[0];
      if (shell === 'bash') io.out(bashScript(commandNames()));
      else if (shell === 'zsh') io.out(zshScript(commandNames()));
      else throw new UsageError(`completion needs a shell: bash or zsh${shell ? `, not "${shell}"` : ''}`);
      return 0;
    },
  };
}
