// Container logs: `<state>/logs/<namespace>/<pod>/<container>.log`, the container's stdout and
// stderr as written. A file over its cap moves to `.log.1` (replacing the one before) and a new one
// starts, so logs never grow without bound. Readers get the whole log (previous file first), the
// last lines, or follow it as it grows, across rotations.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DEFAULT_LOG_CAP_BYTES = 10 * 1024 * 1024;

export function logsDir(stateDir: string): string {
  return join(stateDir, 'logs');
}

export function logPath(stateDir: string, namespace: string, pod: string, container: string): string {
  return join(logsDir(stateDir), namespace, pod, `${container}.log`);
}

export class LogWriter {
  readonly path: string;
  readonly #cap: number;
  #fd: number;
  #size: number;

  constructor(path: string, capBytes = DEFAULT_LOG_CAP_BYTES) {
    this.path = path;
    this.#cap = capBytes;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'a', 0o644);
    this.#size = statSync(path).size;
  }

  write(chunk: Buffer | string): void {
    if (this.#fd < 0) return;
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#size > 0 && this.#size + data.length > this.#cap) this.#rotate();
    writeSync(this.#fd, data);
    this.#size += data.length;
  }

  #rotate(): void {
    closeSync(this.#fd);
    renameSync(this.path, `${this.path}.1`);
    this.#fd = openSync(this.path, 'a', 0o644);
    this.#size = 0;
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/** The log as text: the rotated file, then the current one; the last `tail` lines if given. */
export function readLog(path: string, options: { tail?: number } = {}): string {
  const text = readIfExists(`${path}.1`) + readIfExists(path);
  if (options.tail === undefined || options.tail < 0) return text;
  if (options.tail === 0) return '';
  const lines = text.split('\n');
  const last = lines.at(-1) === '' ? lines.slice(0, -1) : lines;
  const kept = last.slice(-options.tail).join('\n');
  return kept === '' ? '' : `${kept}\n`;
}

/**
 * Calls `onText` with what is appended to the log from `from` bytes on, until `signal` aborts; what
 * was written before the abort is still delivered.
 */
export async function followLog(
  path: string,
  onText: (text: string) => void,
  options: { signal: AbortSignal; from?: number; pollMs?: number },
): Promise<void> {
  let position = options.from ?? 0;
  let ino: number | undefined;
  const decoder = new TextDecoder();
  const readMore = async () => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    // Rotated (new file) or truncated: start the new file from its beginning.
    if ((ino !== undefined && st.ino !== ino) || st.size < position) position = 0;
    ino = st.ino;
    if (st.size <= position) return;
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(st.size - position);
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      position += bytesRead;
      const text = decoder.decode(buf.subarray(0, bytesRead), { stream: true });
      if (text) onText(text);
    } finally {
      await fh.close();
    }
  };
  for (;;) {
    await readMore();
    if (options.signal.aborted) return;
    try {
      await sleep(options.pollMs ?? 200, undefined, { signal: options.signal });
    } catch {
      await readMore();
      return;
    }
  }
}

/** Size of the current log file (where `followLog` continues after `readLog`). */
export function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
