// The caravel.io/command annotation: the argv a workload without a catalogued image runs. Written
// either as a YAML/JSON list (`["node", "app.js"]`, or a block list) or as one string split the way
// a POSIX shell splits words. Nothing is handed to a shell, so pipes, redirections and variable
// expansion are refused with a hint rather than passed on as literal arguments by surprise.
import { parse as parseYaml } from 'yaml';
import { WorkloadError } from './errors.ts';

export const COMMAND_ANNOTATION = 'caravel.io/command';

const SHELL_ONLY = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`']);

function badCommand(message: string, hint: string): WorkloadError {
  return new WorkloadError('RUNTIME_BAD_COMMAND', `${COMMAND_ANNOTATION}: ${message}`, { hint });
}

/** Splits one command line into words: quotes and backslashes as in sh, no expansion. */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw badCommand(`unterminated ' quote in ${JSON.stringify(text)}`, "close the ' quote");
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; i < text.length && text[i] !== '"'; i++) {
        const d = text[i]!;
        if (d === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
        else if (d === '$' || d === '`') throw shellOnly(d);
        else word += d;
      }
      if (i >= text.length)
        throw badCommand(`unterminated " quote in ${JSON.stringify(text)}`, 'close the " quote');
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else if (SHELL_ONLY.has(c)) {
      throw shellOnly(c);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function shellOnly(c: string): WorkloadError {
  return badCommand(
    `"${c}" needs a shell, and the command runs without one`,
    `quote it to pass it literally, or run a shell yourself: ["sh", "-c", "…"]`,
  );
}

/** The argv an annotation names; throws WorkloadError when it names none. */
export function parseCommandAnnotation(value: string): string[] {
  const text = value.trim();
  let argv: unknown;
  if (text.startsWith('[') || text.startsWith('- ')) {
    try {
      argv = parseYaml(text);
    } catch (e) {
      throw badCommand(
        `not a valid list: ${(e as Error).message.split('\n')[0]}`,
        'write ["program", "arg", …]',
      );
    }
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string' || typeof a === 'number'))
      throw badCommand('the list must hold only strings', 'write ["program", "arg", …]');
    argv = argv.map(String);
  } else {
    argv = splitCommandLine(text);
  }
  const list = argv as string[];
  if (list.length === 0 || list[0] === '')
    throw badCommand('the command is empty', 'name the program to run, e.g. "node server.js"');
  return list;
}
