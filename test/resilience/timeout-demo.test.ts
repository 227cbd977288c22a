// The seeds' timeout and retry exercises with their exact YAML (samples/timeout-demo): a client pod
// calls nginx-svc through its sidecar; the nginx app forwards to tomcat-svc through its own sidecar.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { start as startBackend } from '../../samples/timeout-demo/src/backend.ts';
import { start as startWebProxy } from '../../samples/timeout-demo/src/web-proxy.ts';
import type { Proxy } from '../../src/proxy/index.ts';
import { stat, TestMesh, viaSidecar } from './fixtures/mesh.ts';
import type { Pod } from './fixtures/mesh.ts';

const sample = (file: string) =>
  readFileSync(new URL(`../../samples/timeout-demo/${file}`, import.meta.url), 'utf8');

const CLIENT = `apiVersion: v1
kind: Service
metadata:
  name: sleep
spec:
  selector:
    app: sleep
  ports:
    - name: http
      port: 80
`;

let mesh: TestMesh;
let client: Pod;
let nginx: Pod;
let clientProxy: Proxy;
let nginxProxy: Proxy;

before(async () => {
  mesh = await TestMesh.start(`${sample('apps.yaml')}\n---\n${CLIENT}`);
  const nginxLabels = { server: 'nginx', app: 'web' };
  const tomcatLabels = { server: 'tomcat', app: 'web' };
  client = mesh.addPod('sleep-1', { app: 'sleep' }, [80]);
  nginx = mesh.addPod('nginx-1', nginxLabels, [80]);
  const tomcat = mesh.addPod('tomcat-1', tomcatLabels, [8080]);
  const env = (pod: Pod, port: number) => ({
    HOST: pod.appAddress,
    PORT: String(port),
    POD_NAME: pod.name,
    HTTP_PROXY: pod.httpProxy,
  });
  const apps = [await startWebProxy({ env: env(nginx, 80) }), await startBackend({ env: env(tomcat, 8080) })];
  for (const a of apps) mesh.onClose(() => a.close());
  [clientProxy, nginxProxy] = await Promise.all([
    mesh.sidecar(client, { app: 'sleep' }),
    mesh.sidecar(nginx, nginxLabels),
    mesh.sidecar(tomcat, tomcatLabels),
  ]);
});

after(() => mesh?.close());

test('without rules, the chain answers 200', async () => {
  const r = await viaSidecar(client, 'http://nginx-svc/');
  assert.equal(r.status, 200, r.body);
  assert.match(r.body, /Hello from the backend/);
});

test('seed: a 2 s timeout in front of a 10 s delay answers 504 after about 2 s', async () => {
  await mesh.apply(sample('virtual-service-timeout.yaml'));
  await mesh.converged();
  const cancelledBefore = stat(nginxProxy, 'cluster.inbound|80||.upstream_rq_cancelled');
  const r = await viaSidecar(client, 'http://nginx-svc/');
  assert.equal(r.status, 504);
  assert.equal(r.body, 'upstream request timeout');
  assert.ok(r.ms >= 1950 && r.ms < 4000, `answered after ${Math.round(r.ms)} ms`);
  // Access-log lines are written when each stream ends: wait for this request's line.
  const [line] = await mesh.logLines(`${client.ip}:15001`, 1, '" 504 ');
  assert.match(line!, /" 504 UT upstream_response_timeout /);
  assert.equal(
    stat(clientProxy, 'cluster.outbound|80||nginx-svc.default.svc.cluster.local.upstream_rq_timeout'),
    1,
  );
  // The timeout cancelled the upstream request: nginx's sidecar saw its caller go away.
  await mesh.until(
    () => stat(nginxProxy, 'cluster.inbound|80||.upstream_rq_cancelled') > cancelledBefore,
    'the upstream request cancelled',
  );
  assert.equal(stat(nginxProxy, 'http.outbound_' + nginx.ip + '_15001.fault.delays_injected'), 1);
});

test('seed: 3 retries of 2 s each against a 100 % 503 abort make 4 attempts', async () => {
  await mesh.apply(sample('virtual-service-retries.yaml'));
  await mesh.converged();
  const inbound = `${nginx.ip}:80`;
  const before = (await mesh.logLines(inbound, 0)).length;
  const r = await viaSidecar(client, 'http://nginx-svc/');
  assert.equal(r.status, 503);
  // nginx's sidecar: four inbound requests, each forwarded to tomcat and aborted by the fault filter.
  const inboundLines = (await mesh.logLines(inbound, before + 4)).slice(before);
  assert.equal(inboundLines.length, 4);
  for (const l of inboundLines) assert.match(l, /"GET \/ HTTP\/1.1" 503 /);
  const aborted = (await mesh.logLines(`${nginx.ip}:15001`, 4)).filter((l) =>
    / 503 FI fault_filter_abort /.test(l),
  );
  assert.ok(aborted.length >= 4, aborted.join('\n'));
  const cluster = 'cluster.outbound|80||nginx-svc.default.svc.cluster.local';
  assert.equal(stat(clientProxy, `${cluster}.upstream_rq_retry`), 3);
  assert.equal(stat(clientProxy, `${cluster}.upstream_rq_retry_limit_exceeded`), 1);
  const [last] = await mesh.logLines(`${client.ip}:15001`, 1, '" 503 ');
  assert.match(last!, /" 503 URX /);
});
