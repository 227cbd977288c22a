// The runtime's files in the state directory (addresses, pod table): versioned JSON documents,
// replaced atomically (temp file, fsync, rename, fsync of the directory) so a reader — another
// `caravel` command — always sees one whole version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../common/index.ts';
import { RuntimeStateError } from './errors.ts';

export const RUNTIME_FORMAT = 1;

/** Where the runtime keeps its files inside a state directory. */
export function runtimeDir(stateDir: string): string {
  return join(stateDir, 'runtime');
}

// Synchronous on purpose: these files are small, and the exit path must be able to write them.
export function writeJsonAtomic(file: string, data: unknown): void {
  writeFileAtomicSync(file, `${JSON.stringify({ format: RUNTIME_FORMAT, data }, null, 1)}\n`);
}

/** The document's data, or undefined when the file does not exist yet. */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, `not valid JSON: ${(e as Error).message}`, e);
  }
  if (!doc || typeof doc !== 'object' || !('format' in doc) || typeof doc.format !== 'number')
    throw corrupt(file, 'the format version is missing');
  if (doc.format > RUNTIME_FORMAT)
    throw new RuntimeStateError(
      'RUNTIME_STATE_TOO_NEW',
      `${file} was written by a newer Caravel (format ${doc.format}; this version reads format ${RUNTIME_FORMAT})`,
      { hint: 'run a newer caravel, or give --state-dir another directory' },
    );
  return (doc as { data?: unknown }).data;
}

function corrupt(file: string, reason: string, cause?: unknown): RuntimeStateError {
  return new RuntimeStateError('RUNTIME_STATE_CORRUPT', `${file} is corrupt (${reason})`, {
    hint: `move it aside (mv ${file} ${file}.corrupt); the runtime rebuilds it on the next start`,
    cause,
  });
}
