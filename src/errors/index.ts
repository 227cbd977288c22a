// Typed errors with stable codes. User mistakes carry a hint and are printed without a stack;
// everything else is a bug or an environment failure and keeps its cause chain.

export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class CaravelError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** True when the user can fix it (bad input, bad flag); the CLI then exits 1 without a stack. */
  readonly userError: boolean;

  constructor(code: string, message: string, options: ErrorOptions & { userError?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.userError = options.userError ?? true;
  }
}

/** A command line that does not parse: exit status 2. */
export class UsageError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('USAGE', message, options);
  }
}

/** Configuration that failed validation; `issues` holds every problem found, not only the first. */
export class ConfigInvalidError extends CaravelError {
  readonly issues: readonly ValidationIssueLike[];
  constructor(message: string, issues: readonly ValidationIssueLike[], options: ErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
    this.issues = issues;
  }
}

/** The minimal shape of a validation issue, so this module stays free of api imports. */
export interface ValidationIssueLike {
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export class NotFoundError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('NOT_FOUND', message, options);
  }
}

/** A change Kubernetes would refuse (for example a Deployment's selector). */
export class ForbiddenChangeError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('FORBIDDEN_CHANGE', message, options);
  }
}

/** Stored state that cannot be read safely; the program refuses to continue rather than lose it. */
export class StateCorruptError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('STATE_CORRUPT', message, options);
  }
}

/** Something the program itself got wrong or the machine refused: printed with its cause. */
export class InternalError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('INTERNAL', message, { ...options, userError: false });
  }
}

export function isCaravelError(e: unknown): e is CaravelError {
  return e instanceof CaravelError;
}
