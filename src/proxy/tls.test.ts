import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LISTENER_TYPE, packAny, SECRET_TYPE } from '../envoy/index.ts';
import { DOWNSTREAM_TLS_TYPE, UPSTREAM_TLS_TYPE } from './listener/tls.ts';
import {
  cluster,
  endpoints,
  hcm,
  listener,
  route,
  routeConfig,
  staticCluster,
  vhost,
} from './testing/resources.ts';
import { echoServer, request, startHarness } from './testing/harness.ts';
import type { Echo, Harness } from './testing/harness.ts';

let h: Harness;
let up: Echo;
let dir: string;
let cert: string;
let key: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'caravel-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=gw.test',
      '-addext',
      'subjectAltName=DNS:gw.test',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
  h = await startHarness();
  up = await echoServer('up');
  const tlsContext = (alpn: string[]) => ({
    name: 'envoy.transport_sockets.tls',
    typedConfig: {
      '@type': DOWNSTREAM_TLS_TYPE,
      commonTlsContext: {
        tlsCertificates: [
          { certificateChain: { inlineString: cert }, privateKey: { filename: join(dir, 'key.pem') } },
        ],
        alpnProtocols: alpn,
      },
    },
  });
  await h.push({
    clusters: [cluster('up')],
    endpoints: [endpoints('up', [{ host: '127.0.0.1', port: up.port }])],
    listeners: [
      listener(
        'gw',
        '127.0.0.1',
        0,
        [
          {
            filterChainMatch: { serverNames: ['gw.test'] },
            transportSocket: tlsContext(['h2', 'http/1.1']),
            filters: [hcm({ rds: 'r', statPrefix: 'gw' })],
          },
        ],
        { listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector' }] },
      ),
    ],
    routes: [routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, 'up')])])],
  });
});

after(async () => {
  await h.close();
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

test('TLS is terminated on the matching chain; HTTP/1.1 sees x-forwarded-proto https', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: h.port('gw'),
        path: '/secure',
        servername: 'gw.test',
        ca: cert,
        agent: false,
      },
      (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve(data));
      },
    );
    req.on('error', reject);
    req.end();
  });
  const seen = JSON.parse(body) as { url: string; headers: Record<string, string> };
  assert.equal(seen.url, '/secure');
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
});

test('ALPN h2 gives HTTP/2 over TLS', async () => {
  const client = http2.connect(`https://127.0.0.1:${h.port('gw')}`, { servername: 'gw.test', ca: cert });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const s = client.request({ ':path': '/h2', ':authority': 'gw.test' });
      let data = '';
      s.on('data', (c: Buffer) => (data += c.toString()));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    assert.equal(JSON.parse(body).url, '/h2');
    assert.equal(h.proxy.stats.value('http.gw.downstream_cx_http2_total'), 1);
  } finally {
    client.close();
  }
});

test('certificates from SDS: connections wait for the secret, then terminate with it', async () => {
  const sdsListener = listener('sds', '127.0.0.1', 0, [
    {
      transportSocket: {
        name: 'tls',
        typedConfig: {
          '@type': DOWNSTREAM_TLS_TYPE,
          commonTlsContext: {
            tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://gw-cred', sdsConfig: { ads: {} } }],
          },
        },
      },
      filters: [hcm({ rds: 'r', statPrefix: 'sds' })],
    },
  ]);
  const gw = listener('gw', '127.0.0.1', 0, [{ filters: [hcm({ rds: 'r', statPrefix: 'gw' })] }]);
  await h.push({ listeners: [gw, sdsListener] });
  const secretRequest = await h.ads.waitFor(
    (r) => r.typeUrl === SECRET_TYPE && r.resourceNames.includes('kubernetes://gw-cred'),
  );
  assert.deepEqual(secretRequest.resourceNames, ['kubernetes://gw-cred']);
  const get = () =>
    new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: h.port('sds'),
          path: '/sds',
          servername: 'gw.test',
          ca: cert,
          agent: false,
        },
        (res) => {
          let data = '';
          res.on('data', (c: Buffer) => (data += c.toString()));
          res.on('end', () => resolve(data));
        },
      );
      req.on('error', reject);
      req.end();
    });
  await assert.rejects(get());
  h.ads.set(SECRET_TYPE, [
    {
      name: 'kubernetes://gw-cred',
      any: packAny(SECRET_TYPE, {
        name: 'kubernetes://gw-cred',
        tlsCertificate: { certificateChain: { inlineString: cert }, privateKey: { inlineString: key } },
      }),
    },
  ]);
  await h.ads.acked(SECRET_TYPE);
  assert.equal(JSON.parse(await get()).url, '/sds');
  const dump = await (await fetch(`http://127.0.0.1:${h.adminPort()}/config_dump`)).text();
  assert.ok(dump.includes('kubernetes://gw-cred'));
  assert.ok(!dump.includes('PRIVATE KEY'), 'key material stays out of the config dump');
});

test('mutual TLS between two hops: client certificate, CA and SAN checks from SDS secrets', async () => {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=mesh-ca',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=workload',
  ]);
  const ext = join(dir, 'ext.cnf');
  writeFileSync(ext, 'subjectAltName=URI:spiffe://cluster.local/ns/default/sa/test\n');
  run([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
  const pem = (f: string) => readFileSync(join(dir, f), 'utf8');
  h.ads.set(SECRET_TYPE, [
    {
      name: 'default',
      any: packAny(SECRET_TYPE, {
        name: 'default',
        tlsCertificate: {
          certificateChain: { inlineString: pem('leaf.pem') },
          privateKey: { inlineString: pem('leaf.key') },
        },
      }),
    },
    {
      name: 'ROOTCA',
      any: packAny(SECRET_TYPE, {
        name: 'ROOTCA',
        validationContext: { trustedCa: { inlineString: pem('ca.pem') } },
      }),
    },
  ]);
  const sds = (name: string) => ({ name, sdsConfig: { ads: {} } });
  const upstreamTls = (san: string) => ({
    transportSocket: {
      name: 'envoy.transport_sockets.tls',
      typedConfig: {
        '@type': UPSTREAM_TLS_TYPE,
        sni: 'outbound_.80_._.up.default.svc.cluster.local',
        commonTlsContext: {
          tlsCertificateSdsSecretConfigs: [sds('default')],
          combinedValidationContext: {
            defaultValidationContext: {
              matchTypedSubjectAltNames: [{ sanType: 'URI', matcher: { exact: san } }],
            },
            validationContextSdsSecretConfig: sds('ROOTCA'),
          },
        },
      },
    },
  });
  const inbound = listener('inbound', '127.0.0.1', 0, [
    {
      transportSocket: {
        name: 'tls',
        typedConfig: {
          '@type': DOWNSTREAM_TLS_TYPE,
          requireClientCertificate: { value: true },
          commonTlsContext: {
            tlsCertificateSdsSecretConfigs: [sds('default')],
            combinedValidationContext: {
              defaultValidationContext: {},
              validationContextSdsSecretConfig: sds('ROOTCA'),
            },
          },
        },
      },
      filters: [
        hcm({
          statPrefix: 'inbound',
          routeConfig: {
            name: 'in',
            virtualHosts: [
              { name: 'in', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] },
            ],
          },
        }),
      ],
    },
  ]);
  const outbound = listener('outbound', '127.0.0.1', 0, [
    { filters: [hcm({ rds: 'mesh', statPrefix: 'outbound' })] },
  ]);
  await h.push({ listeners: [inbound, outbound] });
  const inboundPort = h.port('inbound');
  await h.push({
    clusters: [
      cluster('up'),
      staticCluster(
        'mtls',
        [['127.0.0.1', inboundPort]],
        upstreamTls('spiffe://cluster.local/ns/default/sa/test'),
      ),
      staticCluster(
        'wrong-san',
        [['127.0.0.1', inboundPort]],
        upstreamTls('spiffe://cluster.local/ns/other/sa/x'),
      ),
      staticCluster('plain', [['127.0.0.1', inboundPort]]),
    ],
    routes: [
      routeConfig('r', [vhost('all', ['*'], [route({ prefix: '/' }, 'up')])]),
      routeConfig('mesh', [
        vhost(
          'all',
          ['*'],
          [
            route({ prefix: '/wrong' }, 'wrong-san'),
            route({ prefix: '/plain' }, 'plain'),
            route({ prefix: '/' }, 'mtls'),
          ],
        ),
      ]),
    ],
  });
  const ok = await request(h.port('outbound'), '/through-mtls');
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json<{ url: string }>().url, '/through-mtls');
  const wrong = await request(h.port('outbound'), '/wrong');
  assert.equal(wrong.status, 503);
  assert.match(wrong.body, /do not match/);
  const plain = await request(h.port('outbound'), '/plain');
  assert.equal(plain.status, 503, 'a plaintext client is refused by the mTLS listener');
});

test('an unreadable certificate file is NACKed', async () => {
  h.ads.set(LISTENER_TYPE, [
    listener('gw', '127.0.0.1', 0, [
      {
        transportSocket: {
          name: 'tls',
          typedConfig: {
            '@type': DOWNSTREAM_TLS_TYPE,
            commonTlsContext: {
              tlsCertificates: [
                {
                  certificateChain: { filename: join(dir, 'missing.pem') },
                  privateKey: { inlineString: key },
                },
              ],
            },
          },
        },
        filters: [hcm({ rds: 'r', statPrefix: 'gw' })],
      },
    ]),
  ]);
  const nack = await h.ads.waitFor((r) => r.typeUrl === LISTENER_TYPE && r.errorDetail !== undefined);
  assert.match(nack.errorDetail?.message ?? '', /certificate_chain: cannot read .*missing\.pem/);
});
