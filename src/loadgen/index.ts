// Public face of the load client: fortio-style `load` and `curl`, and the echo server of
// `fortio server`.
export { curlMain, loadMain } from './commands.ts';
export type { ClientIdentity, LoadIo } from './commands.ts';
export { echoStatus, MAX_ECHO_DELAY_MS, startEchoServer } from './echo.ts';
export type { EchoServer } from './echo.ts';
export { flagHelp, parseFlags } from './flags.ts';
export type { FlagSpec } from './flags.ts';
export { CURL_FLAGS, curlOptions, LOAD_FLAGS, loadOptions } from './options.ts';
export type { CurlOptions, LoadOptions, LogLevel, RequestSpec } from './options.ts';
export { jsonReport, textReport } from './report.ts';
export { callsPerConnection, runLoad } from './runner.ts';
export type { LoadResult, RunHooks } from './runner.ts';
export { createTransport, proxyFor } from './transport.ts';
export type { Exchange, Transport } from './transport.ts';
