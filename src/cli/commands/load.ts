import { curlMain, flagHelp, LOAD_FLAGS, loadMain } from '../../loadgen/index.ts';
import type { Command } from '../command.ts';
import { caravelVersion } from '../../common/index.ts';

export const loadCommand: Command = {
  name: 'load',
  summary: 'Send HTTP load and print status codes and latency percentiles (like fortio load/curl)',
  usage: `caravel load [flags] URL
caravel load curl [-H "Name: value"]… [-payload TEXT] [-h2] URL

Sends requests from -c connections, as fast as possible (-qps 0) or at a total rate, for exactly -n
calls or for a duration (-t), then prints the status code histogram and latency percentiles as
fortio does. "curl" sends one request and prints the response. Flags take one dash or two, and
fortio's spellings work: caravel load -c 2 -qps 0 -n 20 -loglevel Warning http://httpbin:8000/get
HTTP_PROXY/http_proxy and NO_PROXY are honoured, so inside a pod the requests go through its sidecar.

Flags:
${flagHelp(LOAD_FLAGS)}`,
  async run(args, io) {
    const identity = { version: caravelVersion(), userAgent: `caravel-load/${caravelVersion()}` };
    if (args[0] === 'curl') return curlMain(args.slice(1), io, identity);
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      return await loadMain(args, { ...io, signal: stop.signal }, identity);
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
