// HTTP/2 upstreams and clients that end streams and sessions early: the proxy must answer or reset
// promptly and let go of every request and connection (the counts behind circuit breaking).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { until } from './testing/control-plane.ts';
import { cluster, endpoints, hcm, listener, route, routeConfig, vhost } from './testing/resources.ts';
import { startHarness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

const H2 = {
  typedExtensionProtocolOptions: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicitHttpConfig: { http2ProtocolOptions: {} },
    },
  },
};

let h: Harness;
let upstream: http2.Http2Server;
/** Upstream streams that closed, by path. */
const closedUpstream: string[] = [];

/** What the upstream does, by path: never answer, GOAWAY and stay connected, or cut the body. */
function misbehave(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const path = String(headers[':path']);
  stream.on('error', () => {});
  stream.on('close', () => closedUpstream.push(path));
  if (path === '/stall') return;
  if (path === '/goaway') {
    // The session says it is done but the upstream never closes the connection.
    stream.session?.goaway();
    stream.respond({ ':status': 200 });
    stream.end('last');
    return;
  }
  if (path === '/cut') {
    stream.respond({ ':status': 200 });
    stream.write('part');
    // Reset without END_STREAM (close() would end the body first).
    setTimeout(() => stream.destroy(new Error('cut')), 20);
  }
}

before(async () => {
  upstream = http2.createServer();
  upstream.on('stream', misbehave);
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  h = await startHarness();
  await h.push({
    clusters: [cluster('up', H2)],
    endpoints: [endpoints('up', [{ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }])],
    listeners: [listener('http', '127.0.0.1', 0, [{ filters: [hcm({ rds: 'r', statPrefix: 'h2up' })] }])],
    routes: [routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, 'up')])])],
  });
});

after(async () => {
  await h.close();
  upstream.close();
});

const stat = (name: string) => h.proxy.stats.value(name) ?? 0;

test('an HTTP/2 client that resets its stream before the answer cancels the upstream request', async () => {
  const client = http2.connect(`http://127.0.0.1:${h.port('http')}`);
  const stream = client.request({ ':path': '/stall' });
  stream.on('error', () => {});
  await until(() => stat('cluster.up.upstream_rq_active') === 1, 'the upstream request');
  stream.close(http2.constants.NGHTTP2_CANCEL);
  await until(() => closedUpstream.includes('/stall'), 'the upstream stream reset');
  assert.equal(stat('cluster.up.upstream_rq_active'), 0);
  assert.equal(stat('cluster.up.upstream_rq_cancelled'), 1);
  assert.equal(stat('http.h2up.downstream_rq_active'), 0);
  client.close();
});

test('an upstream stream cut after its headers resets the response at once', async () => {
  const outcome = await new Promise<string>((resolve) => {
    const req = http.get({ port: h.port('http'), host: '127.0.0.1', path: '/cut' }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve('ended'));
      res.on('aborted', () => resolve(`aborted after ${res.statusCode}`));
      res.on('error', () => {});
    });
    req.on('error', () => resolve('error'));
  });
  assert.equal(outcome, 'aborted after 200');
  await until(() => stat('cluster.up.upstream_rq_active') === 0, 'the upstream request released');
});

test('an upstream that sends GOAWAY and keeps its connection open: the proxy closes it', async () => {
  const before = stat('cluster.up.upstream_cx_destroy');
  for (const _ of [1, 2]) {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ port: h.port('http'), host: '127.0.0.1', path: '/goaway', agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.equal(body, 'last');
  }
  // Each answer came on a session the upstream ended: both connections close, none stays open.
  await until(() => stat('cluster.up.upstream_cx_destroy') >= before + 2, 'the connections closed');
  assert.equal(stat('cluster.up.upstream_cx_active'), 0);
});
