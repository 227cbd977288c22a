// @fastify/http-proxy as a reverse proxy, one of the benchmark's reference points.
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const [listenPort, upstream] = process.argv.slice(2);
if (!listenPort || !upstream) {
  console.error('usage: fastify-proxy.ts LISTEN_PORT UPSTREAM_URL');
  process.exit(2);
}
const app = Fastify({ logger: false });
await app.register(proxy, { upstream, http: {} });
await app.listen({ port: Number(listenPort), host: '127.0.0.1' });
