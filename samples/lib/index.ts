// Shared pieces of the sample apps: environment, server, HTTP client with proxy support, header
// propagation.
export { AppEnvError, intFromEnv, readAppEnv } from './env.ts';
export type { AppEnv, Env } from './env.ts';
export { createClient, UpstreamError } from './client.ts';
export type { ClientResponse, HttpClient, RequestOptions, UpstreamFailure } from './client.ts';
export { forwardHeaders, PROPAGATED_HEADERS } from './headers.ts';
export { listen, readBody, runMain, sendJson, sendText } from './server.ts';
export type { Handler, ListenOptions, RunningApp, StartOptions } from './server.ts';
export { escapeHtml } from './html.ts';
