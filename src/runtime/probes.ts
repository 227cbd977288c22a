// Readiness checks: a TCP connect to the app's port, and for pods with a sidecar (or gateway pods)
// an HTTP GET of the proxy's /healthz/ready on 15021, as Istio's readiness probe does. Both give
// up after a short timeout so one stuck pod does not hold the others' status.
import { request } from 'node:http';
import { connect } from 'node:net';

export async function tcpProbe(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True for an answer from 200 to 399, as Kubernetes' httpGet probe counts success. */
export async function httpProbe(
  host: string,
  port: number,
  path: string,
  timeoutMs = 1000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 400);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}
