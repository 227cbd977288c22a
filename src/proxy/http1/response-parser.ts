// The response side of the HTTP/1.1 parser, for upstream connections: status lines, interim
// responses, bodiless responses, and whether the connection may carry another request.
import { UpstreamProtocolError } from '../errors.ts';
import { LF, SP, fail, framing, keepAlive, parseFields } from './fields.ts';
import type { Fields, SyntaxFault } from './fields.ts';
import { MAX_HEADER_BYTES, MessageParser } from './parser.ts';
import type { Delimit } from './parser.ts';
import { VALUE_BYTE } from './syntax.ts';

export type ResponseHeaders = Fields;

export interface ResponseHead {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Whether the connection may carry another request once this response ends. */
  readonly keepAlive: boolean;
}

export interface ResponseEvents {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  /** `reusable` is false when the response ended in a way that forbids another request. */
  onEnd(trailers: ResponseHeaders, reusable: boolean): void;
}

/**
 * Parses the status line at the start of `head`: the status, whether it says HTTP/1.0, and where
 * the header lines start.
 */
function statusLine(head: string): { status: number; http10: boolean; next: number } {
  const end = head.indexOf('\r');
  const c = (i: number) => head.charCodeAt(i);
  const digit = (i: number) => c(i) >= 0x30 && c(i) <= 0x39;
  let valid =
    end >= 12 &&
    head.startsWith('HTTP/1.') &&
    (c(7) === 0x30 || c(7) === 0x31) &&
    c(8) === SP &&
    c(9) >= 0x31 &&
    digit(9) &&
    digit(10) &&
    digit(11) &&
    (end === 12 || c(12) === SP) &&
    c(end + 1) === LF;
  for (let i = 13; valid && i < end; i++) if (VALUE_BYTE[c(i)] !== 1) valid = false;
  if (!valid)
    fail(`malformed status line ${JSON.stringify(head.slice(0, end < 0 ? 64 : Math.min(end, 64)))}`);
  return {
    status: (c(9) - 0x30) * 100 + (c(10) - 0x30) * 10 + c(11) - 0x30,
    http10: c(7) === 0x30,
    next: end + 2,
  };
}

export class ResponseParser extends MessageParser {
  readonly #events: ResponseEvents;
  #noBody = false;
  #keepAlive = false;

  constructor(events: ResponseEvents) {
    super(
      {
        onBody: (chunk) => events.onBody(chunk),
        onEnd: (trailers, clean) => events.onEnd(trailers, this.#keepAlive && clean),
      },
      MAX_HEADER_BYTES,
      false,
    );
    this.#events = events;
  }

  /** A request was sent: the next bytes are its response. HEAD responses have no body. */
  expect(method: string): void {
    this.begin();
    this.#noBody = method === 'HEAD';
  }

  protected override head(text: string): Delimit {
    const { status, http10, next } = statusLine(text);
    const headers: ResponseHeaders = {};
    parseFields(text, next, headers);
    // Checked on every response, bodiless ones too: their headers travel on downstream.
    const body = framing(headers);
    if (status < 200) {
      // 1xx are interim (100 Continue, 103 Early Hints): the final response follows. 101 would
      // switch protocols, which this codec's requests never ask for.
      if (status === 101) fail('unexpected 101 Switching Protocols');
      return 'interim';
    }
    if (status === 204 && body !== undefined && body !== 0) fail('204 response with a body length');
    this.#keepAlive = keepAlive(headers.connection, http10);
    let delimit: Delimit;
    if (this.#noBody || status === 204 || status === 304) delimit = 0;
    else if (body === 'chunked' || typeof body === 'number') delimit = body;
    else {
      delimit = 'close';
      this.#keepAlive = false;
    }
    this.#events.onHead({ status, headers, keepAlive: this.#keepAlive });
    return delimit;
  }

  protected override error(fault: SyntaxFault): Error {
    return new UpstreamProtocolError(`upstream response: ${fault.message}`, { cause: fault });
  }

  protected override idleBytes(): void {
    fail('bytes received with no request outstanding');
  }
}
