import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import {
  cluster,
  endpoints,
  hcm,
  listener,
  route,
  routeConfig,
  staticCluster,
  tcpProxy,
  vhost,
} from './testing/resources.ts';
import { until } from './testing/control-plane.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';

const H2 = {
  typedExtensionProtocolOptions: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicitHttpConfig: { http2ProtocolOptions: {} },
    },
  },
};

const bytes = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
const echoService = {
  unary: {
    path: '/test.Echo/Unary',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
  stream: {
    path: '/test.Echo/Stream',
    requestStream: false,
    responseStream: true,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
} as const;

let h: Harness;
let web: Echo;
let grpcServer: grpc.Server;
let grpcPort: number;
const tcpServers: net.Server[] = [];
const tcpPorts: Record<string, number> = {};
const sniSeen: string[] = [];
/** Connections to an upstream that accepts and never answers. */
const silentSockets: net.Socket[] = [];

async function tcpServer(name: string, onConnection: (s: net.Socket) => void): Promise<void> {
  const server = net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tcpServers.push(server);
  tcpPorts[name] = (server.address() as AddressInfo).port;
}

before(async () => {
  h = await startHarness();
  web = await echoServer('web');
  web.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Path: ${req.url}\r\n\r\n`,
    );
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
  });
  grpcServer = new grpc.Server();
  grpcServer.addService(echoService, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const text = call.request.toString();
      if (text === 'fail') {
        cb({
          code: grpc.status.NOT_FOUND,
          details: 'no such thing',
          metadata: Object.assign(new grpc.Metadata(), {}),
        });
        return;
      }
      const trailer = new grpc.Metadata();
      trailer.set('x-trailer', 'kept');
      cb(null, Buffer.from(`hi ${text} ${String(call.metadata.get('x-meta')[0] ?? '')}`), trailer);
    },
    stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      for (let i = 0; i < 3; i++) call.write(Buffer.from(`part${i}`));
      call.end();
    },
  });
  grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  await tcpServer('echo', (s) => s.on('data', (d: Buffer) => s.write(`tcp:${d.toString()}`)));
  await tcpServer('silent', (s) => {
    silentSockets.push(s);
    // Read (and drop) what arrives, so that the proxy closing the connection is seen.
    s.resume();
    s.on('error', () => {});
  });
  for (const name of ['sni-a', 'sni-b'])
    await tcpServer(name, (s) => {
      s.once('data', () => {
        sniSeen.push(name);
        s.end();
      });
    });
  await h.push({
    clusters: [
      cluster('web'),
      cluster('grpc', H2),
      staticCluster('tcp-echo', [['127.0.0.1', tcpPorts.echo!]]),
      staticCluster('silent', [['127.0.0.1', tcpPorts.silent!]]),
      staticCluster('sni-a', [['127.0.0.1', tcpPorts['sni-a']!]]),
      staticCluster('sni-b', [['127.0.0.1', tcpPorts['sni-b']!]]),
      {
        ...cluster('PassthroughCluster', {
          type: 'ORIGINAL_DST',
          lbPolicy: 'CLUSTER_PROVIDED',
          edsClusterConfig: undefined,
        }),
      },
    ],
    endpoints: [
      endpoints('web', [{ host: '127.0.0.1', port: web.port }]),
      endpoints('grpc', [{ host: '127.0.0.1', port: grpcPort }]),
    ],
    listeners: [
      listener('http', '127.0.0.1', 0, [{ filters: [hcm({ rds: 'r', statPrefix: 'proto' })] }]),
      listener('tcp', '127.0.0.1', 0, [{ filters: [tcpProxy('echo', 'tcp-echo')] }]),
      listener(
        'sni',
        '127.0.0.1',
        0,
        [
          { filterChainMatch: { serverNames: ['a.test'] }, filters: [tcpProxy('a', 'sni-a')] },
          { filterChainMatch: { serverNames: ['*.b.test'] }, filters: [tcpProxy('b', 'sni-b')] },
        ],
        { listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector' }] },
      ),
      listener('proxy', '127.0.0.1', 0, [
        { filters: [hcm({ rds: 'http_proxy', statPrefix: 'outbound_proxy' })] },
      ]),
    ],
    routes: [
      routeConfig('r', [
        vhost(
          'all',
          ['*'],
          [
            route({ prefix: '/test.Echo/' }, 'grpc'),
            route(
              { prefix: '/ws-silent' },
              { route: { cluster: 'silent', upgradeConfigs: [{ upgradeType: 'websocket' }] } },
            ),
            route(
              { prefix: '/ws' },
              { route: { cluster: 'web', upgradeConfigs: [{ upgradeType: 'websocket' }] } },
            ),
            route({ prefix: '/' }, 'web'),
          ],
        ),
      ]),
      routeConfig('http_proxy', [
        vhost('web.default.svc.cluster.local:80', ['web', 'web.default'], [route({ prefix: '/' }, 'web')]),
        vhost('allow_any', ['*'], [route({ prefix: '/' }, 'PassthroughCluster')]),
      ]),
    ],
  });
});

after(async () => {
  await h.close();
  await web.close();
  grpcServer.forceShutdown();
  for (const s of tcpServers) s.close();
});

const Client = grpc.makeGenericClientConstructor(echoService, 'Echo');

test('gRPC over h2c end to end: messages, metadata, trailers and non-OK status are preserved', async () => {
  const client = new Client(`127.0.0.1:${h.port('http')}`, grpc.credentials.createInsecure()) as unknown as {
    unary(
      req: Buffer,
      md: grpc.Metadata,
      cb: (e: grpc.ServiceError | null, r?: Buffer) => void,
    ): grpc.ClientUnaryCall;
    stream(req: Buffer): grpc.ClientReadableStream<Buffer>;
    close(): void;
  };
  try {
    const md = new grpc.Metadata();
    md.set('x-meta', 'carried');
    let trailers: grpc.Metadata | undefined;
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const call = client.unary(Buffer.from('there'), md, (e, r) => (e ? reject(e) : resolve(r!)));
      call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
    });
    assert.equal(reply.toString(), 'hi there carried');
    assert.deepEqual(trailers?.get('x-trailer'), ['kept']);
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.unary(Buffer.from('fail'), new grpc.Metadata(), (e) => resolve(e!)),
    );
    assert.equal(err.code, grpc.status.NOT_FOUND, err.details);
    assert.equal(err.details, 'no such thing');
    const parts: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = client.stream(Buffer.from('x'));
      s.on('data', (d: Buffer) => parts.push(d.toString()));
      s.on('end', resolve);
      s.on('error', reject);
    });
    assert.deepEqual(parts, ['part0', 'part1', 'part2']);
    assert.equal(h.proxy.stats.value('cluster.grpc.upstream_rq_200'), 3);
    assert.ok((h.proxy.stats.value('http.proto.downstream_rq_http2_total') ?? 0) >= 3);
  } finally {
    client.close();
  }
});

function rawSession(
  port: number,
  first: string,
  then: (s: net.Socket, received: () => string) => void,
): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d: Buffer) => {
      data += d.toString();
      then(s, () => data);
    });
    s.on('close', () => resolve(data));
    s.on('error', () => resolve(data));
    s.write(first);
  });
}

test('WebSocket upgrades are tunnelled when the route allows them, refused with 403 otherwise', async () => {
  let sent = false;
  const text = await rawSession(
    h.port('http'),
    'GET /ws/chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n',
    (s, got) => {
      if (!sent && got().includes('\r\n\r\n')) {
        sent = true;
        s.write('ping');
      } else if (got().includes('echo:ping')) s.end();
    },
  );
  assert.match(text, /^HTTP\/1\.1 101 /);
  assert.match(text, /X-Path: \/ws\/chat/);
  assert.ok(text.endsWith('echo:ping'), text);
  const refused = await rawSession(
    h.port('http'),
    'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    () => {},
  );
  assert.match(refused, /^HTTP\/1\.1 403 /);
});

test('a client that goes away before the upstream answers its upgrade takes the upstream connection with it', async () => {
  const cancelled = h.proxy.stats.value('cluster.silent.upstream_rq_cancelled') ?? 0;
  const client = net.connect(h.port('http'), '127.0.0.1');
  client.on('error', () => {});
  client.write('GET /ws-silent HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  await until(() => silentSockets.length === 1, 'the upstream connection');
  const upstreamClosed = new Promise((resolve) => silentSockets[0]!.once('close', resolve));
  client.destroy();
  await upstreamClosed;
  await until(() => h.proxy.stats.value('http.proto.downstream_rq_active') === 0, 'the request ended');
  assert.equal(h.proxy.stats.value('cluster.silent.upstream_rq_cancelled'), cancelled + 1);
  assert.equal(h.proxy.stats.value('cluster.silent.upstream_rq_active'), 0);
});

test('an h2c upgrade is not taken, as in Envoy: the request, body and all, is served in HTTP/1.1 and the connection stays', async () => {
  const upgrade =
    'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n';
  const text = await rawSession(
    h.port('http'),
    `POST /h2c HTTP/1.1\r\nHost: a\r\n${upgrade}Content-Length: 5\r\n\r\nhello` +
      'GET /after-h2c HTTP/1.1\r\nHost: a\r\n\r\n',
    (s, got) => {
      if (got().includes('"url":"/after-h2c"')) s.end();
    },
  );
  const responses = text.split(/(?=HTTP\/1\.1 )/);
  assert.equal(responses.length, 2, text);
  for (const r of responses) {
    assert.match(r, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(r, /\r\nconnection: close\r\n/i);
  }
  assert.match(responses[0]!, /"body":"hello"/);
  const seen = web.seen.findLast((r) => r.url === '/h2c');
  assert.ok(seen, 'the request reached the upstream');
  assert.equal(seen.headers.upgrade, undefined);
  assert.equal(seen.headers['http2-settings'], undefined);
  assert.doesNotMatch(String(seen.headers.connection ?? ''), /upgrade|http2-settings/i);
});

test('tcp_proxy splices a plain TCP connection to its cluster', async () => {
  const text = await rawSession(h.port('tcp'), 'hello', (s, got) => {
    if (got().includes('tcp:hello')) s.end();
  });
  assert.equal(text, 'tcp:hello');
  assert.equal(h.proxy.stats.value('tcp.echo.downstream_cx_total'), 1);
});

test('TLS connections are routed by SNI (exact name, then wildcard) without terminating TLS', async () => {
  for (const servername of ['a.test', 'x.b.test']) {
    await new Promise<void>((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port: h.port('sni'),
        servername,
        rejectUnauthorized: false,
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
  }
  assert.deepEqual(sniSeen, ['sni-a', 'sni-b']);
  await new Promise<void>((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: h.port('sni'),
      servername: 'other.test',
      rejectUnauthorized: false,
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
  assert.equal(h.proxy.stats.value('listener.127.0.0.1_0.no_filter_chain_match'), 1);
});

test('the HTTP-proxy listener takes absolute-form requests and CONNECT tunnels', async () => {
  const port = h.port('proxy');
  const viaService = await request(port, 'http://web/by-name?x=1');
  assert.equal(viaService.status, 200);
  assert.equal(viaService.json().url, '/by-name?x=1');
  const passthrough = await request(port, `http://127.0.0.1:${web.port}/direct`);
  assert.equal(passthrough.json().url, '/direct');
  assert.equal(passthrough.json<{ headers: { host: string } }>().headers.host, `127.0.0.1:${web.port}`);
  let opened = false;
  const text = await rawSession(
    port,
    `CONNECT 127.0.0.1:${tcpPorts.echo} HTTP/1.1\r\nHost: 127.0.0.1:${tcpPorts.echo}\r\n\r\n`,
    (s, got) => {
      if (!opened && got().includes('\r\n\r\n')) {
        opened = true;
        s.write('through');
      } else if (got().includes('tcp:through')) s.end();
    },
  );
  assert.match(text, /^HTTP\/1\.1 200 /);
  assert.ok(text.endsWith('tcp:through'), text);
  assert.equal(h.proxy.stats.value('cluster.PassthroughCluster.upstream_rq_total'), 2);
});

test("a broken upstream gets Envoy's answers: garbage is 503 UPE, a cut response is a reset", async () => {
  await tcpServer('garbage', (s) => s.once('data', () => s.end('NOT HTTP AT ALL\r\n\r\n')));
  await tcpServer('cut', (s) =>
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial')),
  );
  await h.push({
    clusters: [
      cluster('web'),
      cluster('grpc', H2),
      staticCluster('garbage', [['127.0.0.1', tcpPorts.garbage!]]),
      staticCluster('cut', [['127.0.0.1', tcpPorts.cut!]]),
    ],
    routes: [
      routeConfig('r', [
        vhost(
          'all',
          ['*'],
          [
            route({ prefix: '/garbage' }, 'garbage'),
            route({ prefix: '/cut' }, 'cut'),
            route({ prefix: '/' }, 'web'),
          ],
        ),
      ]),
    ],
  });
  const g = await request(h.port('http'), '/garbage');
  assert.equal(g.status, 503);
  assert.match(g.body, /reset reason: protocol error$/);
  await assert.rejects(request(h.port('http'), '/cut'), /aborted|socket hang up|ECONNRESET|terminated/);
  assert.equal((await request(h.port('http'), '/fine')).status, 200, 'the proxy keeps serving');
});
