// The canary exercise's app: every request is answered with the app's version (SERVICE_VERSION,
// v1 by default) and the pod that served it, so a loop of curls shows how traffic is split:
//   for i in $(seq 100); do curl -s http://127.0.0.1:8080/; done | sort | uniq -c
import { listen, readAppEnv, runMain, sendJson, sendText } from '../../lib/index.ts';
import type { RunningApp, StartOptions } from '../../lib/index.ts';

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 80);
  const version = app.serviceVersion ?? 'v1';
  return listen({
    name: 'canary',
    host: app.host,
    port: app.port,
    log: options.log,
    handler(req, res) {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/health') return sendText(res, 200, 'ok\n');
      if ((req.headers.accept ?? '').includes('application/json'))
        return sendJson(res, 200, { app: 'canary', version, pod: app.podName });
      return sendText(res, 200, `canary ${version} from ${app.podName}\n`);
    },
  });
}

if (import.meta.main) await runMain(start);
