// httpbin's /status/{codes}: one code, or a comma list with optional weights ("200:0.9,503:0.1"),
// picked at random in proportion to the weights (weight 1 when left out).

export interface WeightedCode {
  readonly code: number;
  readonly weight: number;
}

/** Parses the codes of /status/{codes}; undefined when any part is not a valid code or weight. */
export function parseStatusCodes(text: string): readonly WeightedCode[] | undefined {
  const out: WeightedCode[] = [];
  for (const part of text.split(',')) {
    const [code, weight, extra] = part.split(':');
    if (extra !== undefined || !code || !/^\d{3}$/.test(code.trim())) return undefined;
    const w = weight === undefined ? 1 : Number(weight);
    if (!Number.isFinite(w) || w < 0) return undefined;
    const n = Number(code.trim());
    if (n < 100 || n > 599) return undefined;
    out.push({ code: n, weight: w });
  }
  return out.length > 0 ? out : undefined;
}

/** Picks one code in proportion to its weight; `random` returns a number in [0, 1). */
export function pickStatus(codes: readonly WeightedCode[], random: () => number = Math.random): number {
  const total = codes.reduce((sum, c) => sum + c.weight, 0);
  if (total <= 0) return codes[0]!.code;
  let point = random() * total;
  for (const c of codes) {
    point -= c.weight;
    if (point < 0) return c.code;
  }
  return codes[codes.length - 1]!.code;
}
