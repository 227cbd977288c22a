// The HTTP/1.1 codec: client connections (upstream) and server connections (downstream).
export { Http1Connection } from './client.ts';
export type { ExchangeHandler, Http1Controller, Http1Request } from './client.ts';
export type { ResponseHeaders } from './response-parser.ts';
export { closeAfterWrites, ConnectionSet, ServerRequest } from './server.ts';
export type { ServerHandler, ServerOptions } from './server.ts';
export { ServerResponse } from './server-response.ts';
export type { OutgoingHeaders } from './server-response.ts';
