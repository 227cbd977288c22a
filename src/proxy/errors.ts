// Errors of the proxy component: bad bootstrap, bad xDS resources, upstream failures.
import { CaravelError } from '../errors/index.ts';
import type { ErrorOptions } from '../errors/index.ts';

/** A bootstrap file that cannot be used; names the file, line and field. */
export class BootstrapError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('PROXY_BOOTSTRAP_INVALID', message, options);
  }
}

/** An xDS resource the proxy refuses (the whole response is NACKed with this message). */
export class XdsResourceError extends CaravelError {
  readonly resource: string;
  constructor(resource: string, message: string, options: ErrorOptions = {}) {
    super('XDS_RESOURCE_INVALID', `${resource}: ${message}`, { ...options, userError: false });
    this.resource = resource;
  }
}

/** A listener that could not start (its address is taken, or not local). */
export class ListenerBindError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('PROXY_LISTENER_BIND', message, { ...options, userError: false });
  }
}

/** An upstream HTTP/1.1 response that breaks the protocol; its connection is never reused. */
export class UpstreamProtocolError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('UPSTREAM_PROTOCOL_ERROR', message, { ...options, userError: false });
  }
}

/** An upstream connection that closed or failed while a request was on it. */
export class UpstreamResetError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('UPSTREAM_RESET', message, { ...options, userError: false });
  }
}

/**
 * A downstream HTTP/1.1 request that breaks the protocol. `status` is the answer (400, or 431 for
 * a header section over the limit); the connection closes after it.
 */
export class DownstreamProtocolError extends CaravelError {
  readonly status: number;
  constructor(message: string, status: number, options: ErrorOptions = {}) {
    super('DOWNSTREAM_PROTOCOL_ERROR', message, { ...options, userError: false });
    this.status = status;
  }
}

/** A response header this proxy cannot write (a name that is not a token, a value with CR or LF). */
export class ResponseHeaderError extends CaravelError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('RESPONSE_HEADER_INVALID', message, { ...options, userError: false });
  }
}
