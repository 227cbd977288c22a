// Access log sinks: stdout, stderr or an append-only file, one line per finished request. Lines
// finished in the same event-loop turn go out in one write, so a busy proxy makes one system call
// for many requests while a quiet one still logs each request at once.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { AccessLogConfig } from '../xds/decode/hcm.ts';
import type { StreamInfo } from './stream-info.ts';

interface Sink {
  write(text: string): unknown;
}

export class AccessLogSinks {
  readonly #files = new Map<string, WriteStream>();
  /** Lines waiting for the end of this event-loop turn, by destination path. */
  readonly #pending = new Map<string, string>();
  #flushScheduled = false;

  write(logs: readonly AccessLogConfig[], info: StreamInfo): void {
    for (const log of logs) {
      const line = log.format(info);
      this.#pending.set(log.path, (this.#pending.get(log.path) ?? '') + line);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes every pending line now. */
  flush(): void {
    this.#flushScheduled = false;
    for (const [path, text] of this.#pending) this.#sink(path).write(text);
    this.#pending.clear();
  }

  #sink(path: string): Sink {
    if (path === '/dev/stdout') return process.stdout;
    if (path === '/dev/stderr') return process.stderr;
    let f = this.#files.get(path);
    if (!f) {
      f = createWriteStream(path, { flags: 'a' });
      f.on('error', (e) => process.stderr.write(`access log ${path}: ${e.message}\n`));
      this.#files.set(path, f);
    }
    return f;
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.all([...this.#files.values()].map((f) => new Promise<void>((resolve) => f.end(resolve))));
    this.#files.clear();
  }
}
