// Label selectors as kubectl takes them on the command line (`-l app=x,version!=v1,env in (a,b)`),
// parsed into Kubernetes' LabelSelector shape so that one matcher (selectorMatches) serves manifests
// and flags alike.
import type { LabelSelector, LabelSelectorRequirement } from '../api/index.ts';
import { CaravelError } from '../errors/index.ts';

/** Kubernetes' LabelSelector: every matchLabels pair and every expression must hold. */
export type Selector = LabelSelector;

export class SelectorSyntaxError extends CaravelError {
  constructor(selector: string, reason: string) {
    super('INVALID_SELECTOR', `unable to parse label selector "${selector}": ${reason}`, {
      hint: 'write requirements separated by commas: key=value, key!=value, key in (a,b), key notin (a,b), key, !key',
    });
  }
}

const KEY = /^[A-Za-z0-9]([A-Za-z0-9_./-]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/;

type Token = { kind: 'word' | 'op' | 'open' | 'close' | 'comma'; text: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') i++;
    else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c === '(' ? 'open' : c === ')' ? 'close' : 'comma', text: c });
      i++;
    } else if (c === '!' || c === '=') {
      const two = text.slice(i, i + 2);
      const op = two === '!=' || two === '==' ? two : c;
      out.push({ kind: 'op', text: op });
      i += op.length;
    } else {
      let j = i;
      while (j < text.length && !' \t(),!='.includes(text[j]!)) j++;
      out.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return out;
}

/** Parses kubectl's selector syntax; an empty string selects everything. */
export function parseSelector(text: string): Selector {
  const tokens = tokenize(text);
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (reason: string): never => {
    throw new SelectorSyntaxError(text, reason);
  };
  const key = (): string => {
    const t = tokens[pos++];
    if (t?.kind !== 'word') return fail(`expected a label key${t ? `, found "${t.text}"` : ' at the end'}`);
    if (!KEY.test(t.text)) fail(`"${t.text}" is not a valid label key`);
    return t.text;
  };
  const value = (): string => {
    const t = peek();
    if (t?.kind !== 'word') return '';
    pos++;
    if (!VALUE.test(t.text)) fail(`"${t.text}" is not a valid label value`);
    return t.text;
  };
  if (tokens.length === 0) return {};
  for (;;) {
    const t = peek();
    if (t?.kind === 'op' && t.text === '!') {
      pos++;
      matchExpressions.push({ key: key(), operator: 'DoesNotExist' });
    } else {
      const k = key();
      const next = peek();
      if (next === undefined || next.kind === 'comma') {
        matchExpressions.push({ key: k, operator: 'Exists' });
      } else if (next.kind === 'op' && next.text !== '!') {
        pos++;
        const v = value();
        if (next.text === '!=') matchExpressions.push({ key: k, operator: 'NotIn', values: [v] });
        else if (k in matchLabels && matchLabels[k] !== v)
          matchExpressions.push({ key: k, operator: 'In', values: [v] });
        else matchLabels[k] = v;
      } else if (next.kind === 'word' && (next.text === 'in' || next.text === 'notin')) {
        pos++;
        if (peek()?.kind !== 'open') fail(`expected "(" after "${next.text}"`);
        pos++;
        const values: string[] = [];
        for (;;) {
          values.push(value());
          const sep = tokens[pos++];
          if (sep?.kind === 'close') break;
          if (sep?.kind !== 'comma') fail(`expected "," or ")" in the values of "${k}"`);
        }
        matchExpressions.push({ key: k, operator: next.text === 'in' ? 'In' : 'NotIn', values });
      } else {
        fail(`unexpected "${next.text}" after "${k}"`);
      }
    }
    const sep = tokens[pos++];
    if (sep === undefined) break;
    if (sep.kind !== 'comma') fail(`expected "," before "${sep.text}"`);
  }
  const out: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] } = {};
  if (Object.keys(matchLabels).length) out.matchLabels = matchLabels;
  if (matchExpressions.length) out.matchExpressions = matchExpressions;
  return out;
}

/** kubectl's rendering of a selector: app=v1,env in (a,b),!debug. */
export function formatSelector(selector: Selector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else if (r.operator === 'NotIn' && r.values?.length === 1) parts.push(`${r.key}!=${r.values[0]}`);
    else parts.push(`${r.key} ${r.operator.toLowerCase()} (${(r.values ?? []).join(',')})`);
  }
  return parts.join(',');
}
