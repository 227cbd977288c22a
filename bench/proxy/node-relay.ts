// The ceiling of any proxy written in Node on this machine, one of the benchmark's reference points:
// raw `node:net` sockets both ways, a request head copied upstream and a Content-Length response
// copied back, with no HTTP library, header handling, routing, stats or logging. It knows only what
// the benchmark sends (GET without a body, one request at a time per connection) and is not a proxy;
// what it cannot read, it answers 502 and closes. A target beyond this row is beyond Node here.
import net from 'node:net';

const [listenPort, upstream] = process.argv.slice(2);
if (!listenPort || !upstream) {
  console.error('usage: node-relay.ts LISTEN_PORT UPSTREAM_URL');
  process.exit(2);
}
const { hostname, port } = new URL(upstream);

const HEAD_END = Buffer.from('\r\n\r\n');
const BAD_GATEWAY = 'HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)\r\n/i;

/** An upstream keep-alive connection; `onResponse` gets each whole response. */
class UpstreamConnection {
  readonly socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
  #buffer: Buffer | undefined;
  #onResponse: ((response: Buffer | undefined) => void) | undefined;
  constructor() {
    this.socket.on('data', (data: Buffer) => this.#read(data));
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.#finish(undefined));
  }
  send(head: string, onResponse: (response: Buffer | undefined) => void): void {
    this.#onResponse = onResponse;
    this.socket.write(head, 'latin1');
  }
  #read(data: Buffer): void {
    const buffer = this.#buffer ? Buffer.concat([this.#buffer, data]) : data;
    const end = buffer.indexOf(HEAD_END);
    if (end < 0) {
      this.#buffer = buffer;
      return;
    }
    const length = CONTENT_LENGTH.exec(buffer.toString('latin1', 0, end + 2));
    if (!length) {
      this.socket.destroy();
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (buffer.length < total) {
      this.#buffer = buffer;
      return;
    }
    this.#buffer = undefined;
    if (buffer.length > total) {
      this.socket.destroy();
      return;
    }
    idle.push(this);
    this.#finish(buffer);
  }
  #finish(response: Buffer | undefined): void {
    const onResponse = this.#onResponse;
    this.#onResponse = undefined;
    onResponse?.(response);
  }
}

const idle: UpstreamConnection[] = [];

function relay(client: net.Socket, head: string): void {
  const requestLine = head.slice(0, head.indexOf('\r\n'));
  const [method, target] = requestLine.split(' ');
  if (method !== 'GET' || !target) {
    client.end(BAD_GATEWAY);
    return;
  }
  const path = target.startsWith('/') ? target : new URL(target).pathname;
  let connection = idle.pop();
  while (connection?.socket.destroyed) connection = idle.pop();
  (connection ?? new UpstreamConnection()).send(
    `GET ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`,
    (response) => {
      if (response) client.write(response);
      else client.end(BAD_GATEWAY);
    },
  );
}

const server = net.createServer({ noDelay: true }, (client) => {
  let buffer: Buffer | undefined;
  client.on('data', (data: Buffer) => {
    buffer = buffer ? Buffer.concat([buffer, data]) : data;
    const end = buffer.indexOf(HEAD_END);
    if (end < 0) return;
    const head = buffer.toString('latin1', 0, end + 4);
    buffer = buffer.length > end + 4 ? buffer.subarray(end + 4) : undefined;
    relay(client, head);
  });
  client.on('error', () => {});
});
server.listen(Number(listenPort), '127.0.0.1');
