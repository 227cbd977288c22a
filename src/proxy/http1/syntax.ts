// RFC 9110's token and field-value characters, each defined once: as regular expressions for whole
// strings (request heads, transfer codings) and as byte tables for the parser's single pass over a
// header section.

/** tchar, as the body of a character class. */
export const TCHARS = "!#$%&'*+\\-.^_`|~0-9A-Za-z";
/** HTAB, space, visible ASCII and obs-text: what a field value or reason phrase may hold. */
const VALUE_CHARS = '\\t\\x20-\\x7e\\x80-\\xff';
/** What a request target may hold: visible ASCII (RFC 3986 has others percent-encoded). */
const TARGET_CHARS = '\\x21-\\x7e';

export const TOKEN = new RegExp(`^[${TCHARS}]+$`);
export const FIELD_VALUE = new RegExp(`^[${VALUE_CHARS}]*$`);
export const REQUEST_TARGET = new RegExp(`^[${TARGET_CHARS}]+$`);

/** 1 for each byte the character class holds. */
function byteTable(chars: string): Uint8Array {
  const member = new RegExp(`[${chars}]`);
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) if (member.test(String.fromCharCode(b))) table[b] = 1;
  return table;
}

export const TOKEN_BYTE = byteTable(TCHARS);
export const VALUE_BYTE = byteTable(VALUE_CHARS);
export const TARGET_BYTE = byteTable(TARGET_CHARS);
