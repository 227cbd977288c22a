// The state file of local mode: a versioned JSON document with a checksum, replaced atomically
// (temp file, fsync, rename, fsync of the directory) so that a reader always sees one whole
// committed version, whatever happens to the writer.
import { createHash } from 'node:crypto';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ATOMIC_TEMP_SUFFIX, writeFileAtomicSync } from '../common/index.ts';
import { StateCorruptError } from '../errors/index.ts';
import { StateTooNewError } from './errors.ts';
import type { StoredRecord } from './store.ts';

export const STATE_FORMAT = 1;
export const STATE_FILE = 'config.json';

export interface StateData {
  readonly revision: number;
  readonly records: readonly StoredRecord[];
}

/** Identity of the file on disk, to notice a replacement without reading it. */
export interface FileStamp {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

function checksum(payload: string): string {
  return `sha256:${createHash('sha256').update(payload).digest('hex')}`;
}

export function encodeState(data: StateData): string {
  const state = { revision: data.revision, records: data.records };
  return `${JSON.stringify({ format: STATE_FORMAT, checksum: checksum(JSON.stringify(state)), state }, null, 1)}\n`;
}

function corrupt(file: string, reason: string, cause?: unknown): StateCorruptError {
  return new StateCorruptError(
    `state file ${file} is corrupt (${reason}); refusing to start so that nothing is lost`,
    {
      hint: `keep a copy of it, then restore it from a backup or move it aside (mv ${file} ${file}.corrupt) to start with an empty state`,
      cause,
    },
  );
}

export function decodeState(text: string, file: string, dir: string): StateData {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw corrupt(
      file,
      text.length === 0 ? 'the file is empty' : `not valid JSON: ${(e as Error).message}`,
      e,
    );
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw corrupt(file, 'not a state document');
  const { format, checksum: sum, state } = doc as { format?: unknown; checksum?: unknown; state?: unknown };
  if (typeof format !== 'number') throw corrupt(file, 'the format version is missing');
  if (format > STATE_FORMAT) throw new StateTooNewError(dir, format, STATE_FORMAT);
  if (format !== STATE_FORMAT) throw corrupt(file, `unknown format version ${format}`);
  if (!state || typeof state !== 'object') throw corrupt(file, 'the state is missing');
  if (sum !== checksum(JSON.stringify(state))) throw corrupt(file, 'the checksum does not match its content');
  const { revision, records } = state as { revision?: unknown; records?: unknown };
  if (!Number.isInteger(revision) || !Array.isArray(records))
    throw corrupt(file, 'the revision or records are missing');
  return { revision: revision as number, records: records as StoredRecord[] };
}

/** Reads and checks the state; undefined when the directory holds none yet. */
export async function readState(dir: string): Promise<{ data: StateData; stamp: FileStamp } | undefined> {
  const file = join(dir, STATE_FILE);
  let text: string;
  let stamp: FileStamp;
  try {
    const fh = await open(file, 'r');
    try {
      const s = await fh.stat();
      stamp = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return { data: decodeState(text, file, dir), stamp };
}

export async function stampOf(dir: string): Promise<FileStamp | undefined> {
  try {
    const s = await stat(join(dir, STATE_FILE));
    return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return (
    a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs
  );
}

/** Replaces the state file; the previous one stays whole until the rename. Call with the lock held. */
export async function writeState(dir: string, data: StateData): Promise<FileStamp> {
  const file = join(dir, STATE_FILE);
  writeFileAtomicSync(file, encodeState(data));
  const s = await stat(file);
  return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
}

/** Removes temp files a killed writer left behind. Call with the lock held: then nobody is writing. */
export async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${STATE_FILE}.`) && name.endsWith(ATOMIC_TEMP_SUFFIX))
      await rm(join(dir, name), { force: true });
  }
}
