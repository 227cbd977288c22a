// Publishes a pod port on a host address, as a LoadBalancer Service does for the ingress gateway:
// connections to 127.0.0.1:8080 are spliced to the gateway pod's address.
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface Published {
  /** Points new connections at another backend (the gateway pod restarted elsewhere). */
  retarget(host: string, port: number): void;
  close(): Promise<void>;
  readonly port: number;
}

export async function publishPort(
  listenHost: string,
  listenPort: number,
  backend: { host: string; port: number },
): Promise<Published> {
  let target = backend;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    retarget(host, port) {
      target = { host, port };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
