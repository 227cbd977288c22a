// The back end of the timeout and retry exercises (the seeds' tomcat): answers every request with
// a small page. Delays and failures come from the mesh's fault injection, not from here.
import { escapeHtml, listen, readAppEnv, runMain, sendText } from '../../lib/index.ts';
import type { RunningApp, StartOptions } from '../../lib/index.ts';

export async function start(options: StartOptions): Promise<RunningApp> {
  const app = readAppEnv(options.env, 8080);
  return listen({
    name: 'backend',
    host: app.host,
    port: app.port,
    log: options.log,
    handler(req, res) {
      const page = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>backend</title></head>
<body>
<h1>Hello from the backend</h1>
<p>Served by ${escapeHtml(app.podName)} for ${escapeHtml(req.method)} ${escapeHtml(req.url)}</p>
</body>
</html>
`;
      return sendText(res, 200, page, 'text/html; charset=utf-8');
    },
  });
}

if (import.meta.main) await runMain(start);
