// Reads configuration input: files, directories (recursively, .yaml/.yml/.json) and stdin ("-").
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CaravelError } from '../../errors/index.ts';

export interface SourceText {
  /** Path as the user named it, or "<stdin>". */
  readonly file: string;
  readonly text: string;
}

const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export class InputError extends CaravelError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('INPUT_UNREADABLE', message, { hint, cause });
  }
}

function listDirectory(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listDirectory(p));
    else if (CONFIG_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(p);
  }
  return out;
}

/** Reads every named path; directories contribute their config files in name order. */
export function readSources(
  paths: readonly string[],
  stdin: () => string = () => readFileSync(0, 'utf8'),
): SourceText[] {
  const out: SourceText[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ file: '<stdin>', text: stdin() });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new InputError(`${p}: no such file or directory`, 'check the path given to -f', e);
    }
    const files = isDir ? listDirectory(p) : [p];
    if (isDir && files.length === 0)
      throw new InputError(`${p}: the directory holds no .yaml, .yml or .json files`);
    for (const f of files) {
      try {
        out.push({ file: f, text: readFileSync(f, 'utf8') });
      } catch (e) {
        throw new InputError(`${f}: cannot be read (${(e as Error).message})`, undefined, e);
      }
    }
  }
  return out;
}
