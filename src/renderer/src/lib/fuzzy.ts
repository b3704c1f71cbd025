/**
 * Fuzzy matching for the command palette: the query's characters must appear in order
 * (case-insensitive); runs of consecutive characters, matches at word starts ("pi" in
 * "playground/podinfo" hits the p of podinfo) and short texts score higher.
 */

export interface FuzzyMatch {
  score: number;
  /** Indexes of the matched characters in the text, for highlighting. */
  positions: number[];
}

const WORD_BREAK = /[\s/\-_.:@]/;

function isWordStart(text: string, i: number): boolean {
  if (i === 0) return true;
  const prev = text[i - 1] ?? '';
  const here = text[i] ?? '';
  return WORD_BREAK.test(prev) || (prev === prev.toLowerCase() && here !== here.toLowerCase());
}

/**
 * Best match of `query` in `text`, or undefined. Greedy from each possible start of the
 * first character, keeping the best score: texts here are short (names, keys).
 */
export function fuzzyMatch(query: string, text: string): FuzzyMatch | undefined {
  const q = query.replace(/\s+/g, '').toLowerCase();
  if (!q) return { score: 0, positions: [] };
  const lower = text.toLowerCase();
  let best: FuzzyMatch | undefined;
  let start = lower.indexOf(q[0] ?? '');
  while (start !== -1) {
    const positions: number[] = [];
    let score = 0;
    let at = start;
    for (let qi = 0; qi < q.length; qi++) {
      const ch = q[qi] ?? '';
      const found = qi === 0 ? start : lower.indexOf(ch, at);
      if (found === -1) {
        positions.length = 0;
        break;
      }
      const prev = positions[positions.length - 1];
      score += 1;
      if (prev !== undefined && found === prev + 1) score += 5;
      if (isWordStart(text, found)) score += 3;
      if (prev !== undefined) score -= Math.min(found - prev - 1, 5) * 0.2;
      positions.push(found);
      at = found + 1;
    }
    if (positions.length === q.length) {
      score -= text.length * 0.01;
      if (lower === q) score += 10;
      if (!best || score > best.score) best = { score, positions };
    }
    start = lower.indexOf(q[0] ?? '', start + 1);
  }
  return best;
}

/** The items that match, best first (ties keep the input order). */
export function fuzzyFilter<T>(
  query: string,
  items: readonly T[],
  textOf: (item: T) => string,
  limit = 50,
): { item: T; match: FuzzyMatch }[] {
  const results: { item: T; match: FuzzyMatch; index: number }[] = [];
  items.forEach((item, index) => {
    const match = fuzzyMatch(query, textOf(item));
    if (match) results.push({ item, match, index });
  });
  results.sort((a, b) => b.match.score - a.match.score || a.index - b.index);
  return results.slice(0, limit).map(({ item, match }) => ({ item, match }));
}

/** Splits text into plain and matched runs for display. */
export function highlightRuns(
  text: string,
  positions: readonly number[],
): { text: string; hit: boolean }[] {
  const hits = new Set(positions);
  const runs: { text: string; hit: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const hit = hits.has(i);
    const last = runs[runs.length - 1];
    if (last && last.hit === hit) last.text += text[i];
    else runs.push({ text: text[i] ?? '', hit });
  }
  return runs;
}
