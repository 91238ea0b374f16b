/**
 * Word error rate: (substitutions + deletions + insertions) / reference words,
 * after both texts are normalised the same way, so "Hello, World!" and
 * "hello world" count as a perfect match.
 */

export interface WerResult {
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
}

/** Lower case, accents kept, punctuation dropped, hyphens and dashes split words. */
export function normaliseWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[-\u2010-\u2015_/]/g, ' ')
    .replace(/[^\p{L}\p{N}'\s]/gu, ' ')
    .split(/\s+/)
    .map((word) => word.replace(/^'+|'+$/g, ''))
    .filter((word) => word !== '');
}

export function wordErrorDetails(reference: string, hypothesis: string): WerResult {
  const ref = normaliseWords(reference);
  const hyp = normaliseWords(hypothesis);
  // costs[j] is the best alignment of ref[0..i) with hyp[0..j); ops tracks its edit counts.
  type Ops = { s: number; d: number; i: number };
  let previous: Ops[] = Array.from({ length: hyp.length + 1 }, (_, j) => ({ s: 0, d: 0, i: j }));
  for (let i = 1; i <= ref.length; i++) {
    const current: Ops[] = [{ s: 0, d: i, i: 0 }];
    for (let j = 1; j <= hyp.length; j++) {
      const diagonal = previous[j - 1];
      const match = ref[i - 1] === hyp[j - 1];
      const candidates: Ops[] = [
        match ? diagonal : { ...diagonal, s: diagonal.s + 1 },
        { ...previous[j], d: previous[j].d + 1 },
        { ...current[j - 1], i: current[j - 1].i + 1 },
      ];
      current.push(candidates.reduce((best, next) => (cost(next) < cost(best) ? next : best)));
    }
    previous = current;
  }
  const ops = previous[hyp.length];
  // With nothing to say, any word heard is an error: counted against one word.
  const wer = ref.length === 0 ? hyp.length : cost(ops) / ref.length;
  return { wer, substitutions: ops.s, deletions: ops.d, insertions: ops.i, referenceWords: ref.length };
}

export function wordErrorRate(reference: string, hypothesis: string): number {
  return wordErrorDetails(reference, hypothesis).wer;
}

function cost(ops: { s: number; d: number; i: number }): number {
  return ops.s + ops.d + ops.i;
}
