// Header sections of HTTP/1.1 messages (RFC 9112 §5): field lines parsed in one pass, and the
// framing-related fields read strictly. Shared by the request and the response parser.
import { TOKEN, TOKEN_BYTE, VALUE_BYTE } from './syntax.ts';

export type Fields = Record<string, string | string[]>;

/**
 * A violation found while parsing; the parser turns it into the typed error of its side. `status`
 * is what a server answers for it (400, or 431 for a header section over the limit).
 */
export class SyntaxFault extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

export function fail(message: string, status?: number): never {
  throw new SyntaxFault(message, status);
}

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
}
/** Buffer's own latin1 decoder without toString's argument checks (this runs for every header). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}

/**
 * Lower-case header names seen before, by hash. Returning the same string for the same name keeps
 * V8 from interning a new key on every message, and the header objects share their shapes.
 */
const NAME_CACHE = new Array<string | undefined>(1024);

function sameName(text: string, at: number, known: string): boolean {
  for (let i = 0; i < known.length; i++) {
    const c = text.charCodeAt(at + i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== known.charCodeAt(i)) return false;
  }
  return true;
}

function headerName(text: string, start: number, end: number, hash: number): string {
  const slot = hash & (NAME_CACHE.length - 1);
  const known = NAME_CACHE[slot];
  if (known !== undefined && known.length === end - start && sameName(text, start, known)) return known;
  const name = text.slice(start, end).toLowerCase();
  NAME_CACHE[slot] = name;
  return name;
}

/**
 * Parses the `name: value` lines of `text` from `at` on (each ending in CRLF) into lower-case
 * names; repeated names collect into arrays. One pass over the characters: this runs for every
 * message.
 */
export function parseFields(text: string, at: number, into: Fields): void {
  const to = text.length;
  while (at < to) {
    let i = at;
    let hash = 0;
    let c = text.charCodeAt(i);
    if (c === SP || c === HTAB) fail('obsolete line folding in a header');
    while (c !== COLON) {
      if (TOKEN_BYTE[c] !== 1) {
        if (c === CR) fail(`malformed header line ${JSON.stringify(text.slice(at, i))}`);
        fail(`invalid header name ${JSON.stringify(text.slice(at, Math.min(i + 1, at + 64)))}`);
      }
      // Case-folded for letters; other tchars may collide, which the cache check settles.
      hash = (Math.imul(hash, 31) + (c | 0x20)) | 0;
      c = text.charCodeAt(++i);
    }
    if (i === at) fail(`malformed header line ${JSON.stringify(text.slice(at, text.indexOf('\r', at)))}`);
    const nameEnd = i;
    c = text.charCodeAt(++i);
    while (c === SP || c === HTAB) c = text.charCodeAt(++i);
    const valueStart = i;
    let valueEnd = i;
    for (; c !== CR; c = text.charCodeAt(++i)) {
      // NaN (past the end) is not a value byte either.
      if (VALUE_BYTE[c] !== 1) fail(`invalid characters in header ${text.slice(at, nameEnd)}`);
      if (c !== SP && c !== HTAB) valueEnd = i + 1;
    }
    if (text.charCodeAt(i + 1) !== LF) fail(`invalid characters in header ${text.slice(at, nameEnd)}`);
    const key = headerName(text, at, nameEnd, hash);
    // Parsers differ on a tab after the last coding (llhttp stops reading the body as chunked).
    if (valueEnd < i && key === 'transfer-encoding' && text.slice(valueEnd, i).includes('\t'))
      fail('a tab after the value of Transfer-Encoding');
    const value = text.slice(valueStart, valueEnd);
    const prev = into[key];
    if (prev === undefined) into[key] = value;
    else if (typeof prev === 'string') into[key] = [prev, value];
    else prev.push(value);
    at = i + 2;
  }
}

const DIGITS = /^\d{1,15}$/;

/**
 * How a message's body is delimited by its Content-Length and Transfer-Encoding: chunked, a length,
 * `other` (a transfer coding without chunked last) or undefined (neither field). Both fields
 * together, repeated lengths and chunked anywhere but last are errors: each would leave the body's
 * end ambiguous between parsers.
 */
export function framing(fields: Fields): 'chunked' | 'other' | number | undefined {
  const te = fields['transfer-encoding'];
  const cl = fields['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) fail('both Transfer-Encoding and Content-Length');
    const list = codings(te);
    const chunked = list.indexOf('chunked');
    if (chunked >= 0 && chunked !== list.length - 1) fail('chunked is not the final transfer coding');
    return chunked >= 0 ? 'chunked' : 'other';
  }
  if (cl === undefined) return undefined;
  if (typeof cl !== 'string') fail('more than one Content-Length');
  if (!DIGITS.test(cl)) fail(`invalid Content-Length ${JSON.stringify(cl.slice(0, 32))}`);
  return Number(cl);
}

/**
 * The transfer codings, lower-case. Each must be a token with at most spaces around it: a parser
 * that reads `chunked\t` differently would end the body elsewhere.
 */
function codings(value: string | string[]): string[] {
  const list = tokens(value, ' ');
  for (const c of list)
    if (!TOKEN.test(c)) fail(`invalid Transfer-Encoding ${JSON.stringify(String(value))}`);
  return list;
}

/** The comma-separated elements of a field, lower-case and trimmed (of spaces only with `trim`). */
export function tokens(value: string | string[] | undefined, trim?: ' '): string[] {
  if (value === undefined) return [];
  const joined = typeof value === 'string' ? value : value.join(',');
  return joined.split(',').map((t) => (trim ? trimSpaces(t) : t.trim()).toLowerCase());
}

function trimSpaces(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === SP) start++;
  while (end > start && s.charCodeAt(end - 1) === SP) end--;
  return s.slice(start, end);
}

/** Whether a message's Connection field (and version) lets the connection carry another message. */
export function keepAlive(connection: string | string[] | undefined, http10: boolean): boolean {
  // The common answers, without splitting.
  if (connection === undefined) return !http10;
  if (connection === 'keep-alive') return true;
  if (connection === 'close') return false;
  const options = tokens(connection);
  return http10 ? options.includes('keep-alive') : !options.includes('close');
}
