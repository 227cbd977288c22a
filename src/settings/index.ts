// The one place environment knobs are read. Each knob is declared once with its name, default and
// description; code asks a Settings instance, which tests construct with their own environment.

export interface SettingSpec<T> {
  readonly name: string;
  readonly description: string;
  readonly defaultValue: T;
  parse(raw: string): T;
}

const specs = new Map<string, SettingSpec<unknown>>();

function declare<T>(spec: SettingSpec<T>): SettingSpec<T> {
  if (specs.has(spec.name)) throw new Error(`setting ${spec.name} declared twice`);
  specs.set(spec.name, spec as SettingSpec<unknown>);
  return spec;
}

function parseInteger(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number, got "${raw}"`);
    return n;
  };
}

export const CARAVEL_STATE_DIR = declare<string>({
  name: 'CARAVEL_STATE_DIR',
  description: 'Directory where local mode keeps applied config and the pod table.',
  defaultValue: '.caravel',
  parse: (raw) => raw,
});

export const CARAVEL_LOG_LEVEL = declare<string>({
  name: 'CARAVEL_LOG_LEVEL',
  description: 'Log level of Caravel processes: debug, info, warn or error.',
  defaultValue: 'info',
  parse: (raw) => {
    if (!['debug', 'info', 'warn', 'error'].includes(raw))
      throw new Error(`CARAVEL_LOG_LEVEL: unknown level "${raw}"`);
    return raw;
  },
});

export const NO_COLOR = declare<boolean>({
  name: 'NO_COLOR',
  description: 'Any value turns off coloured terminal output.',
  defaultValue: false,
  parse: (raw) => raw !== '',
});

export const CARAVEL_XDS_DEBOUNCE_MS = declare<number>({
  name: 'CARAVEL_XDS_DEBOUNCE_MS',
  description: 'How long the control plane waits for more config changes before pushing (milliseconds).',
  defaultValue: 100,
  parse: parseInteger('CARAVEL_XDS_DEBOUNCE_MS'),
});

export const CARAVEL_STATE_LOCK_TIMEOUT_MS = declare<number>({
  name: 'CARAVEL_STATE_LOCK_TIMEOUT_MS',
  description: 'How long a command waits for another one writing the state directory (milliseconds).',
  defaultValue: 10_000,
  parse: parseInteger('CARAVEL_STATE_LOCK_TIMEOUT_MS'),
});

export class Settings {
  readonly #env: Readonly<Record<string, string | undefined>>;
  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    this.#env = env;
  }
  get<T>(spec: SettingSpec<T>): T {
    const raw = this.#env[spec.name];
    return raw === undefined ? spec.defaultValue : spec.parse(raw);
  }
  static all(): readonly SettingSpec<unknown>[] {
    return [...specs.values()];
  }
}

export { declare as declareSetting };
