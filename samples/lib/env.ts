// What a sample app learns from its environment, read once at start into a frozen object. These are
// the variables a pod's container gets (HOST/PORT from the local runtime, POD_NAME/POD_NAMESPACE as
// the downward API gives them, SERVICE_VERSION from the catalogue); they belong to the app, not to
// Caravel, which is why they are not declared as Caravel settings.

export type Env = Readonly<Record<string, string | undefined>>;

export interface AppEnv {
  /** Address to listen on. */
  readonly host: string;
  /** Port to listen on; 0 lets the system choose (tests). */
  readonly port: number;
  readonly podName: string;
  readonly podNamespace: string;
  /** The app's version (v1, v2, …) when the deployment gives one. */
  readonly serviceVersion: string | undefined;
  /** The whole environment, for app-specific variables and the HTTP client's proxy settings. */
  readonly env: Env;
}

/** A variable that holds a value the app cannot use. */
export class AppEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppEnvError';
  }
}

export function readAppEnv(env: Env, defaultPort: number): AppEnv {
  const rawPort = env.PORT;
  const port = rawPort === undefined || rawPort === '' ? defaultPort : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AppEnvError(`PORT must be a port number from 0 to 65535, got "${rawPort}"`);
  return Object.freeze({
    host: env.HOST || '127.0.0.1',
    port,
    podName: env.POD_NAME || env.HOSTNAME || 'localhost',
    podNamespace: env.POD_NAMESPACE || 'default',
    serviceVersion: env.SERVICE_VERSION || undefined,
    env,
  });
}

/** Reads a whole-number variable with a default, naming the variable when it is wrong. */
export function intFromEnv(env: Env, name: string, defaultValue: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return defaultValue;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new AppEnvError(`${name} must be a whole number, got "${raw}"`);
  return n;
}
