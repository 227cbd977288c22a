// Access log sinks: stdout, stderr or an append-only file, one line per finished request.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { AccessLogConfig } from '../xds/decode/hcm.ts';
import type { StreamInfo } from './stream-info.ts';

export class AccessLogSinks {
  readonly #files = new Map<string, WriteStream>();

  write(logs: readonly AccessLogConfig[], info: StreamInfo): void {
    for (const log of logs) {
      const line = log.format(info);
      if (log.path === '/dev/stdout') process.stdout.write(line);
      else if (log.path === '/dev/stderr') process.stderr.write(line);
      else this.#file(log.path).write(line);
    }
  }

  #file(path: string): WriteStream {
    let f = this.#files.get(path);
    if (!f) {
      f = createWriteStream(path, { flags: 'a' });
      f.on('error', (e) => process.stderr.write(`access log ${path}: ${e.message}\n`));
      this.#files.set(path, f);
    }
    return f;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => new Promise<void>((resolve) => f.end(resolve))));
    this.#files.clear();
  }
}
