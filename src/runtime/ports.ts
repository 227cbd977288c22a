// Port checks before anything starts: each address:port a pod or the gateway will listen on is bound
// once and let go. A taken one becomes one clear line that names who holds it (from /proc, when
// readable) and the flag or step that fixes it.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename } from 'node:path';
import { PortInUseError } from './errors.ts';

export interface PortClaim {
  readonly address: string;
  readonly port: number;
  /** What wants it, for the message: "pod default/reviews-v1-… (app reviews)". */
  readonly what: string;
  /** The flag that moves it elsewhere, when there is one: "--gateway-port". */
  readonly flag?: string;
}

async function tryBind(address: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, exclusive: true }, resolve);
    });
    return undefined;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  } finally {
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
}

/** The process listening on `port` (any address), from /proc; undefined when it cannot be told. */
export function whoListens(port: number): { pid: number; command: string; address: string } | undefined {
  const inodes = new Map<string, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [addr, portHex] = (f[1] ?? '').split(':');
      // State 0A is LISTEN.
      if (f[3] === '0A' && portHex && Number.parseInt(portHex, 16) === port && addr)
        inodes.set(f[9]!, hexAddress(addr));
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) {
        return { pid: Number(pid), command: commandLine(pid), address: inodes.get(inode)! };
      }
    }
  }
  return undefined;
}

/** The process's command line, shortened for a one-line message. */
function commandLine(pid: string): string {
  try {
    const [program = '?', ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const text = [basename(program), ...args].join(' ');
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  } catch {
    return '?';
  }
}

function hexAddress(hex: string): string {
  if (hex.length !== 8) return hex === '00000000000000000000000000000000' ? '::' : `[${hex}]`;
  const bytes = hex
    .match(/../g)!
    .map((b) => Number.parseInt(b, 16))
    .reverse();
  return bytes.join('.');
}

/** Throws PortInUseError for the first claim that cannot be bound (all are tried in order). */
export async function checkPorts(claims: readonly PortClaim[]): Promise<void> {
  for (const c of claims) {
    const err = await tryBind(c.address, c.port);
    if (!err) continue;
    if (err.code !== 'EADDRINUSE') throw err;
    const holder = whoListens(c.port);
    const by = holder
      ? `process ${holder.pid} (${holder.command}) on ${holder.address}:${c.port}`
      : undefined;
    const hint = c.flag
      ? `pass ${c.flag} PORT to use another port`
      : holder
        ? `stop process ${holder.pid} (${holder.command}); pods need port ${c.port} on their own loopback addresses`
        : `stop whatever listens on port ${c.port} (see: ss -ltnp 'sport = :${c.port}')`;
    throw new PortInUseError(c.address, c.port, c.what, by, hint, err);
  }
}
