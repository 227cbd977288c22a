import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import type { PortInUseError } from './errors.ts';
import { checkPorts, whoListens } from './ports.ts';

test('a taken gateway port is one line naming the holder and the flag that moves it', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const holder = whoListens(port);
    assert.equal(holder?.pid, process.pid);
    assert.equal(holder?.address, '127.0.0.1');
    assert.match(holder?.command ?? '', /^node /);
    await assert.rejects(
      checkPorts([{ address: '127.0.0.1', port, what: 'ingress gateway', flag: '--gateway-port' }]),
      (e: PortInUseError) => {
        assert.equal(e.code, 'RUNTIME_PORT_IN_USE');
        assert.equal(
          e.message,
          `ingress gateway: 127.0.0.1:${port} is already in use by process ${process.pid} (${holder?.command}) on 127.0.0.1:${port}`,
        );
        assert.equal(e.hint, 'pass --gateway-port PORT to use another port');
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
  await checkPorts([{ address: '127.0.0.1', port, what: 'ingress gateway', flag: '--gateway-port' }]);
});
