// The upstream HTTP/1.1 codec: a connection that writes requests and parses responses.
export { Http1Connection } from './connection.ts';
export type { ExchangeHandler, Http1Controller, Http1Request } from './connection.ts';
export type { ResponseHeaders } from './parser.ts';
