import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CARAVEL_ROOT, CATALOGUE, lookupImage, parseImage, rewriteExec, sampleArgv } from './catalogue.ts';
import { parseCommandAnnotation, splitCommandLine } from './command-line.ts';
import type { SampleMissingError, WorkloadError } from './errors.ts';

test('image references split into registry, repository and tag as Docker reads them', () => {
  assert.deepEqual(parseImage('nginx'), {
    registry: 'docker.io',
    repository: 'library/nginx',
    tag: 'latest',
  });
  assert.deepEqual(parseImage('docker.io/kennethreitz/httpbin'), {
    registry: 'docker.io',
    repository: 'kennethreitz/httpbin',
    tag: 'latest',
  });
  assert.deepEqual(parseImage('localhost:5000/istio/examples-bookinfo-reviews-v2:1.20.1@sha256:abc'), {
    registry: 'localhost:5000',
    repository: 'istio/examples-bookinfo-reviews-v2',
    tag: '1.20.1',
  });
  assert.deepEqual(parseImage('registry.cn-hangzhou.aliyuncs.com/istio/proxyv2:1.22'), {
    registry: 'registry.cn-hangzhou.aliyuncs.com',
    repository: 'istio/proxyv2',
    tag: '1.22',
  });
});

test('sample images match with any registry and tag, and carry their version', () => {
  const cases: [string, string | undefined, Record<string, string>][] = [
    [
      'docker.io/istio/examples-bookinfo-reviews-v3:1.20.1',
      'samples/bookinfo/src/reviews.ts',
      { SERVICE_VERSION: 'v3' },
    ],
    ['istio/examples-bookinfo-reviews-v1', 'samples/bookinfo/src/reviews.ts', { SERVICE_VERSION: 'v1' }],
    [
      'quay.io/istio/examples-bookinfo-productpage-v1:1.18.0',
      'samples/bookinfo/src/productpage/productpage.ts',
      {},
    ],
    ['istio/examples-bookinfo-details-v1:1.20.1', 'samples/bookinfo/src/details.ts', {}],
    [
      'istio/examples-bookinfo-ratings-v2:1.20.1',
      'samples/bookinfo/src/ratings.ts',
      { SERVICE_VERSION: 'v2' },
    ],
    ['kennethreitz/httpbin', 'samples/httpbin/src/httpbin.ts', {}],
    ['docker.io/kennethreitz/httpbin', 'samples/httpbin/src/httpbin.ts', {}],
    ['fortio/fortio:latest_release', 'samples/fortio/src/fortio.ts', {}],
    ['xianchao/canary:v2', 'samples/canary/src/canary.ts', { SERVICE_VERSION: 'v2' }],
    ['nginx:1.14-alpine', 'samples/timeout-demo/src/web-proxy.ts', {}],
    ['docker.io/kubeguide/tomcat-app:v1', 'samples/timeout-demo/src/backend.ts', {}],
  ];
  for (const [image, program, env] of cases) {
    const m = lookupImage(image);
    assert.ok(m, image);
    assert.equal(m.entry.launch.kind === 'sample' ? m.entry.launch.program : undefined, program, image);
    assert.deepEqual(m.env, env, image);
  }
  assert.equal(lookupImage('istio/proxyv2:1.22.0')?.entry.launch.kind, 'proxy');
  for (const image of [
    'nginx:latest',
    'nginx',
    'xianchao/canary:latest',
    'kubeguide/tomcat-app:v2',
    'example.com/app:1',
    'istio/examples-bookinfo-mongodb',
  ])
    assert.equal(lookupImage(image), undefined, image);
});

test('every sample the catalogue names exists', () => {
  for (const e of CATALOGUE)
    if (e.launch.kind === 'sample')
      assert.ok(existsSync(join(CARAVEL_ROOT, e.launch.program)), e.launch.program);
});

test('a missing sample is one clear error naming the file', () => {
  assert.deepEqual(sampleArgv('kennethreitz/httpbin', 'samples/httpbin/src/httpbin.ts'), [
    process.execPath,
    join(CARAVEL_ROOT, 'samples/httpbin/src/httpbin.ts'),
  ]);
  assert.throws(
    () => sampleArgv('x/y', 'samples/nope.ts'),
    (e: SampleMissingError) => {
      assert.equal(e.code, 'RUNTIME_SAMPLE_MISSING');
      assert.match(e.message, /samples\/nope\.ts/);
      return true;
    },
  );
});

test("the fortio image's own commands map to Caravel's", () => {
  const fortio = lookupImage('fortio/fortio')!.entry;
  assert.deepEqual(rewriteExec(fortio, ['/usr/bin/fortio', 'load', '-c', '2', 'http://httpbin:8000/get']), [
    'caravel',
    'load',
    '-c',
    '2',
    'http://httpbin:8000/get',
  ]);
  assert.deepEqual(rewriteExec(fortio, ['fortio', 'curl', 'http://x']), [
    'caravel',
    'load',
    'curl',
    'http://x',
  ]);
  assert.equal(rewriteExec(fortio, ['curl', 'http://x']), undefined);
});

test('caravel.io/command takes a list or a command line split as sh splits words', () => {
  assert.deepEqual(parseCommandAnnotation('["node", "app.js", "--port", 8080]'), [
    'node',
    'app.js',
    '--port',
    '8080',
  ]);
  assert.deepEqual(parseCommandAnnotation('- node\n- app.js\n'), ['node', 'app.js']);
  assert.deepEqual(parseCommandAnnotation(`python3 -m http.server 'a b' "c \\"d\\"" e\\ f`), [
    'python3',
    '-m',
    'http.server',
    'a b',
    'c "d"',
    'e f',
  ]);
  assert.deepEqual(splitCommandLine(`  x  ''  `), ['x', '']);
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['node app.js | tee log', /"\|" needs a shell/],
    ['echo $HOME', /"\$" needs a shell/],
    ['echo "unterminated', /unterminated "/],
    ['[1, [2]]', /only strings/],
    ['[unclosed', /not a valid list/],
  ];
  for (const [text, message] of bad)
    assert.throws(
      () => parseCommandAnnotation(text),
      (e: WorkloadError) => {
        assert.equal(e.code, 'RUNTIME_BAD_COMMAND');
        assert.match(e.message, message);
        assert.match(e.message, /^caravel\.io\/command: /);
        return true;
      },
      text,
    );
});
