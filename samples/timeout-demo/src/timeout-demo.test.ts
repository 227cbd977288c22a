import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RunningApp } from '../../lib/index.ts';
import { startTestProxy } from '../../lib/testing.ts';
import type { TestProxy } from '../../lib/testing.ts';
import { start as startBackend } from './backend.ts';
import { start as startWebProxy } from './web-proxy.ts';

describe('timeout demo: web-proxy in front of backend', () => {
  let proxy: TestProxy;
  let backend: RunningApp;
  let web: RunningApp;
  before(async () => {
    proxy = await startTestProxy();
    backend = await startBackend({ env: { HOST: '127.0.0.1', PORT: '0', POD_NAME: 'tomcat-0' } });
    web = await startWebProxy({ env: { HOST: '127.0.0.1', PORT: '0', HTTP_PROXY: proxy.url } });
    proxy.route('tomcat-svc:8080', backend.url);
  });
  after(async () => {
    await web.close();
    await backend.close();
    await proxy.close();
  });

  it('passes requests to http://tomcat-svc:8080 through the proxy and returns the page', async () => {
    const res = await fetch(`${web.url}/index.jsp?x=1`, { headers: { 'x-request-id': 'r-9' } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Hello from the backend[\s\S]*tomcat-0 for GET \/index.jsp\?x=1/);
    const seen = proxy.seen.at(-1)!;
    assert.equal(seen.target, 'http://tomcat-svc:8080/index.jsp?x=1');
    assert.equal(seen.headers.host, 'tomcat-svc:8080');
    assert.equal(seen.headers['x-request-id'], 'r-9');
  });

  it('returns the upstream’s error status as it is', async () => {
    proxy.fail('tomcat-svc:8080', 503);
    try {
      assert.equal((await fetch(web.url)).status, 503);
    } finally {
      proxy.route('tomcat-svc:8080', backend.url);
    }
  });

  it('answers 504 when the upstream is too slow and 502 when it cannot be reached', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const slow = await startWebProxy({
      env: { HOST: '127.0.0.1', PORT: '0', UPSTREAM_URL: silentUrl, UPSTREAM_TIMEOUT_MS: '100' },
    });
    const closedPort = (silent.address() as AddressInfo).port;
    try {
      const res = await fetch(slow.url);
      assert.equal(res.status, 504);
      assert.equal(await res.text(), '504 Gateway Time-out\n');
    } finally {
      await slow.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
    const unreachable = await startWebProxy({
      env: { HOST: '127.0.0.1', PORT: '0', UPSTREAM_URL: `http://127.0.0.1:${closedPort}` },
    });
    try {
      assert.equal((await fetch(unreachable.url)).status, 502);
    } finally {
      await unreachable.close();
    }
  });
});
