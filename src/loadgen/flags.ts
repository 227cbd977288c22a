// Go-style command-line flags, as fortio spells them: one or two dashes (-qps, --qps), the value
// after "=" or as the next argument, booleans without a value, flags and positionals in any order.
import { parseDuration } from '../api/index.ts';
import { UsageError } from '../errors/index.ts';

export type FlagKind = 'bool' | 'string' | 'int' | 'float' | 'duration' | 'list';

export interface FlagSpec {
  readonly kind: FlagKind;
  readonly help: string;
  /**
   * For a string flag whose value may be left out (`-json` alone): when the next argument is
   * missing or does not look like a value, the flag takes this.
   */
  readonly bareValue?: string;
}

export type FlagValue = boolean | string | number | readonly string[];

export interface ParsedFlags {
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly positionals: readonly string[];
}

function looksLikeUrl(arg: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(arg);
}

function convert(name: string, spec: FlagSpec, raw: string): FlagValue {
  switch (spec.kind) {
    case 'bool':
      if (/^(1|t|true|T|TRUE|True)$/.test(raw)) return true;
      if (/^(0|f|false|F|FALSE|False)$/.test(raw)) return false;
      throw new UsageError(`invalid boolean value "${raw}" for flag -${name}`);
    case 'int': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n))
        throw new UsageError(`invalid value "${raw}" for flag -${name}: not a whole number`);
      return n;
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new UsageError(`invalid value "${raw}" for flag -${name}: not a number`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined)
        throw new UsageError(`invalid value "${raw}" for flag -${name}: not a duration`, {
          hint: 'write a number with a unit, such as 3s, 500ms or 1m',
        });
      return ms;
    }
    default:
      return raw;
  }
}

export function parseFlags(args: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedFlags {
  const values = new Map<string, FlagValue>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = specs[name];
    if (!spec)
      throw new UsageError(`flag provided but not defined: -${name}`, {
        hint: 'run with --help to list the flags',
      });
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.kind === 'bool') raw = 'true';
    else {
      const next = args[i + 1];
      const isValue = next !== undefined && (next === '-' || !next.startsWith('-'));
      const nextIsTheUrl =
        isValue && (looksLikeUrl(next!) || (i + 2 === args.length && positionals.length === 0));
      if (spec.bareValue !== undefined && (!isValue || nextIsTheUrl)) {
        values.set(name, spec.bareValue);
        continue;
      }
      if (next === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      raw = next;
      i++;
    }
    const value = convert(name, spec, raw);
    if (spec.kind === 'list') values.set(name, [...((values.get(name) as string[] | undefined) ?? []), raw]);
    else values.set(name, value);
  }
  return { values, positionals };
}

/** The flags as help text, one per line, sorted like Go's flag package prints them. */
export function flagHelp(specs: Readonly<Record<string, FlagSpec>>): string {
  return Object.keys(specs)
    .sort()
    .map((name) => {
      const spec = specs[name]!;
      const arg = spec.kind === 'bool' ? '' : ` ${spec.kind === 'list' ? 'value' : spec.kind}`;
      return `  -${name}${arg}\n        ${spec.help}`;
    })
    .join('\n');
}
