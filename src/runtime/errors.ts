// Errors of the local runtime. Each has a stable code; the ones a user can fix carry a hint that
// names the flag, file or annotation that fixes them.
import { CaravelError } from '../errors/index.ts';
import type { ErrorOptions } from '../errors/index.ts';

/** A Deployment the runtime cannot turn into pods (unknown image, unsupported field, bad command). */
export class WorkloadError extends CaravelError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A Caravel sample program the catalogue points at is not on disk. */
export class SampleMissingError extends CaravelError {
  readonly path: string;
  constructor(image: string, path: string) {
    super('RUNTIME_SAMPLE_MISSING', `image ${image} runs Caravel's sample ${path}, which does not exist`, {
      hint: `restore ${path} (it ships with caravel), or name another command with the caravel.io/command annotation`,
    });
    this.path = path;
  }
}

/** An address and port some other process already listens on. */
export class PortInUseError extends CaravelError {
  readonly address: string;
  readonly port: number;
  constructor(
    address: string,
    port: number,
    what: string,
    holder: string | undefined,
    hint: string,
    cause?: unknown,
  ) {
    super(
      'RUNTIME_PORT_IN_USE',
      `${what}: ${address}:${port} is already in use${holder ? ` by ${holder}` : ''}`,
      {
        hint,
        cause,
      },
    );
    this.address = address;
    this.port = port;
  }
}

/** The machine refuses to bind a loopback address the runtime gives a pod. */
export class AddressUnavailableError extends CaravelError {
  constructor(address: string, cause: unknown) {
    super(
      'RUNTIME_ADDRESS_UNAVAILABLE',
      `cannot bind the loopback address ${address}: local mode gives every pod its own address in 127.0.0.0/8`,
      {
        hint: 'local mode needs Linux, where the whole of 127.0.0.0/8 is bound to the loopback interface "lo"',
        cause,
      },
    );
  }
}

/** A pod, deployment or container that `exec` or `logs` was asked about does not exist. */
export class PodNotFoundError extends CaravelError {
  constructor(message: string, hint: string) {
    super('RUNTIME_POD_NOT_FOUND', message, { hint });
  }
}

/** No `caravel up` runs against this state directory. */
export class RuntimeNotRunningError extends CaravelError {
  constructor(stateDir: string) {
    super('RUNTIME_NOT_RUNNING', `the mesh is not running (no caravel up uses state directory ${stateDir})`, {
      hint: 'start it with "caravel up", or pass the --state-dir it runs with',
    });
  }
}

/** The runtime's own files in the state directory cannot be used. */
export class RuntimeStateError extends CaravelError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
  }
}
