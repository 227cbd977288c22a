// The seeds' resilience exercises end to end against a real `caravel up`: circuit breaking with
// the fortio-style client inside its pod, a 2 s timeout over a 10 s delay, retries visible in the
// proxy's access log, and proxy-status / proxy-config as a user checks them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startMesh } from './mesh.ts';
import type { RunningMesh } from './mesh.ts';

let mesh: RunningMesh;

before(async () => {
  mesh = await startMesh('up', [
    '-f',
    'test/scenarios/fixtures/namespace-default-injected.yaml',
    '-f',
    'samples/httpbin/httpbin.yaml',
    '-f',
    'samples/httpbin/sample-client/fortio-deploy.yaml',
    '-f',
    'samples/timeout-demo/apps.yaml',
  ]);
});

after(async () => {
  assert.equal(await mesh.stop(), 143);
});

async function caravel(...args: string[]) {
  const r = await mesh.caravel(...args);
  return r;
}

async function apply(file: string): Promise<void> {
  const r = await caravel('apply', '-f', file);
  assert.equal(r.code, 0, r.err);
}

/** Runs a command "inside" the fortio pod, as `kubectl exec … -c fortio --` does. */
function inFortio(...command: string[]) {
  return caravel('exec', 'deploy/fortio-deploy', '-c', 'fortio', '--', ...command);
}

function codes(out: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of out.matchAll(/^Code\s+(-?\d+)\s*:\s*(\d+)/gm)) counts.set(Number(m[1]), Number(m[2]));
  return counts;
}

test('every proxy is SYNCED in proxy-status', async () => {
  const r = await caravel('proxy-status');
  assert.equal(r.code, 0, r.err);
  const rows = r.out.trim().split('\n').slice(1);
  assert.equal(rows.length, 5, r.out); // httpbin, fortio, nginx, tomcat sidecars + the gateway
  for (const row of rows) {
    // A gateway with no Gateway resource has no routes to ask for: RDS is NOT SENT, as in Istio.
    if (row.startsWith('istio-ingressgateway-')) assert.match(row, /(SYNCED\s+){3}NOT SENT/, row);
    else assert.match(row, /(SYNCED\s+){4}/, row);
  }
});

test('fortio curl from inside the fortio pod reaches httpbin through the sidecars', async () => {
  const r = await inFortio('/usr/bin/fortio', 'curl', 'http://httpbin:8000/get');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /HTTP\/1\.1 200/);
  assert.match(r.out, /server: istio-envoy/i);
});

test('circuit breaker: maxConnections 1 and 1 pending request give a mix of 200 and 503', async () => {
  await apply('samples/httpbin/destination-rule-circuit-breaker.yaml');
  await eventually(async () => {
    const pc = await caravel(
      'proxy-config',
      'cluster',
      'deploy/fortio-deploy',
      '--fqdn',
      'httpbin',
      '-o',
      'wide',
    );
    return /httpbin\.default\.svc\.cluster\.local\s+8000\s+-\s+outbound\s+EDS\s+httpbin\.default\s+1\s+1\s/.test(
      pc.out,
    );
  });
  const two = await inFortio(
    '/usr/bin/fortio',
    'load',
    '-c',
    '2',
    '-qps',
    '0',
    '-n',
    '20',
    '-loglevel',
    'Warning',
    'http://httpbin:8000/get',
  );
  assert.equal(two.code, 0, two.err);
  const c2 = codes(two.out);
  assert.equal((c2.get(200) ?? 0) + (c2.get(503) ?? 0), 20, two.out);
  assert.ok((c2.get(200) ?? 0) > 0, two.out);
  const three = await inFortio(
    '/usr/bin/fortio',
    'load',
    '-c',
    '3',
    '-qps',
    '0',
    '-n',
    '30',
    '-loglevel',
    'Warning',
    'http://httpbin:8000/get',
  );
  const c3 = codes(three.out);
  assert.equal((c3.get(200) ?? 0) + (c3.get(503) ?? 0), 30, three.out);
  assert.ok((c3.get(503) ?? 0) > 0, `no request overflowed at -c 3:\n${three.out}`);
  // The overflows are counted where Envoy counts them, on the client sidecar's cluster.
  const pods = await caravel('get', 'pods', '-l', 'app=fortio', '-o', 'wide');
  const podIP = /\b(127\.\d+\.\d+\.\d+)\b/.exec(pods.out)?.[1];
  assert.ok(podIP, pods.out);
  const stats = await (await fetch(`http://${podIP}:15000/stats`)).text();
  const overflow =
    /cluster\.outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local\.upstream_rq_pending_overflow: (\d+)/.exec(
      stats,
    );
  assert.ok(overflow, 'no pending-overflow counter for the httpbin cluster');
  assert.equal(Number(overflow[1]), (c2.get(503) ?? 0) + (c3.get(503) ?? 0));
});

test('a 2 s route timeout in front of a 10 s delay answers 504 after about 2 s', async () => {
  await apply('samples/timeout-demo/virtual-service-timeout.yaml');
  await eventually(async () => {
    const pc = await caravel('proxy-config', 'route', 'deploy/fortio-deploy', '-o', 'json');
    return pc.out.includes('nginx-vs') && pc.out.includes('tomcat-vs');
  });
  const started = performance.now();
  const r = await inFortio('/usr/bin/fortio', 'curl', 'http://nginx-svc/');
  const elapsed = performance.now() - started;
  assert.match(r.out, /HTTP\/1\.1 504/, r.out + r.err);
  assert.match(r.out, /upstream request timeout/);
  assert.ok(elapsed >= 1900 && elapsed < 9000, `answered after ${elapsed} ms`);
});

test('3 retries over a 100% 503 abort: four attempts in the nginx proxy access log', async () => {
  await apply('samples/timeout-demo/virtual-service-retries.yaml');
  await eventually(async () => {
    const pc = await caravel('proxy-config', 'route', 'deploy/fortio-deploy', '-o', 'json');
    return pc.out.includes('"numRetries": 3');
  });
  const before = (await caravel('logs', 'deploy/nginx', '-c', 'istio-proxy')).out;
  const r = await inFortio('/usr/bin/fortio', 'curl', 'http://nginx-svc/');
  assert.match(r.out, /HTTP\/1\.1 503/, r.out + r.err);
  await eventually(async () => {
    const log = (await caravel('logs', 'deploy/nginx', '-c', 'istio-proxy')).out.slice(before.length);
    const aborted = log.split('\n').filter((l) => / 503 FI /.test(l) && l.includes('tomcat-svc'));
    return aborted.length === 4;
  });
});
