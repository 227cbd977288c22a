// Durable file replacement: a reader (another caravel process, or this one after a crash) sees
// either the old file or the new one, never a mix.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Suffix of the temporary file a write goes through; a writer killed mid-write leaves one behind. */
export const ATOMIC_TEMP_SUFFIX = '.tmp';

/**
 * Writes `contents` to a temp file beside `file`, fsyncs it, renames it over `file`, then fsyncs
 * the directory so the rename itself survives a power loss. Synchronous so exit paths can use it.
 */
export function writeFileAtomicSync(file: string, contents: string | Uint8Array): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}${ATOMIC_TEMP_SUFFIX}`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeFileSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
