// kubectl's ways of naming objects on the command line: `vs,dr`, `vs reviews ratings`,
// `vs/reviews dr/reviews`, with Istio's and Kubernetes' short names.
import { builtinKinds } from '../api/index.ts';
import type { KindDefinition } from '../api/index.ts';
import { CaravelError, UsageError } from '../errors/index.ts';

export class UnknownTypeError extends CaravelError {
  constructor(name: string) {
    super('UNKNOWN_TYPE', `the server doesn't have a resource type "${name}"`, {
      hint: `known types: ${builtinKinds()
        .all()
        .map((d) => d.shortNames[0] ?? d.plural)
        .join(', ')}`,
    });
  }
}

export function kindByName(name: string): KindDefinition {
  const def = builtinKinds().byName(name);
  if (!def) throw new UnknownTypeError(name);
  return def;
}

/** One requested type and the names asked for (undefined: every object of the type). */
export interface Target {
  readonly def: KindDefinition;
  readonly names?: readonly string[];
}

/** Parses `TYPE[,TYPE…] [NAME…]` or `TYPE/NAME…`. */
export function parseTargets(args: readonly string[], command: string): Target[] {
  const [first, ...rest] = args;
  if (first === undefined)
    throw new UsageError(`you must specify the type of resource to ${command}`, {
      hint: `for example: caravel ${command} virtualservices (or vs, dr, gw, se, svc, deploy, ns, po)`,
    });
  if (first.includes('/')) {
    const targets: Target[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash <= 0 || slash === arg.length - 1)
        throw new UsageError(`there is no need to mix TYPE/NAME and TYPE NAME: "${arg}"`, {
          hint: `write each object as TYPE/NAME, e.g. vs/reviews`,
        });
      targets.push({ def: kindByName(arg.slice(0, slash)), names: [arg.slice(slash + 1)] });
    }
    return targets;
  }
  const defs = first.split(',').filter(Boolean).map(kindByName);
  return defs.map((def) => (rest.length ? { def, names: rest } : { def }));
}
