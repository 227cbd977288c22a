import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningApp } from '../../lib/index.ts';
import { start } from './canary.ts';

describe('canary', () => {
  let v1: RunningApp;
  let v2: RunningApp;
  before(async () => {
    v1 = await start({ env: { HOST: '127.0.0.1', PORT: '0', POD_NAME: 'appv1-7d9f' } });
    v2 = await start({
      env: { HOST: '127.0.0.1', PORT: '0', POD_NAME: 'appv2-5c2a', SERVICE_VERSION: 'v2' },
    });
  });
  after(async () => {
    await v1.close();
    await v2.close();
  });

  it('answers its version and pod, as text or JSON', async () => {
    assert.equal(await (await fetch(`${v1.url}/`)).text(), 'canary v1 from appv1-7d9f\n');
    assert.equal(await (await fetch(`${v2.url}/any/path`)).text(), 'canary v2 from appv2-5c2a\n');
    const json = JSON.parse(await (await fetch(v2.url, { headers: { accept: 'application/json' } })).text());
    assert.deepEqual(json, { app: 'canary', version: 'v2', pod: 'appv2-5c2a' });
    assert.equal((await fetch(`${v1.url}/health`)).status, 200);
  });

  it('refuses a PORT that is not a port', async () => {
    await assert.rejects(start({ env: { PORT: 'eighty' } }), /PORT must be a port number/);
  });
});
