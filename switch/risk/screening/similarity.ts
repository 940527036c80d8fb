/**
 * How close two normalised names are (docs/risk.md "Screening", "Fuzzy matching"). Pure: no I/O.
 *
 * Tokens are compared with Jaro-Winkler (the jaro-winkler package: the textbook definition, match
 * window ⌊max/2⌋ − 1, prefix bonus up to 4 letters above 0.7), the measure OFAC's own Sanctions List
 * Search uses: it rates transpositions (SMIHT) and a changed letter (SMYTH) close, and rewards a common
 * prefix. Its greedy pairing of letters stumbles on repeated letters near a typo (TATNAMLA / TJTNAMLA is
 * 0.80, ORFOFO / RFOFO 0.78), so the Levenshtein similarity (fastest-levenshtein: 1 − edits / longer
 * length, 0.875 and 0.83 there) is taken when it is larger. A pair below
 * limits.screening.tokenSimilarityMin counts as unrelated (0). Each token of one
 * name is paired with at most one token of the other, best pairs first (greedy alignment), so word
 * order never matters. Two scores come from the alignment:
 *
 *  - full: Σ similarity × (length of both tokens) / (total length of both names): 1 for the same
 *    tokens, lower for every changed letter, missing or extra word;
 *  - contained: when every token of the listed name (at least two tokens) is matched in the screened
 *    name, Σ similarity × (length of the listed token) / (length of the listed name): the listed name
 *    inside a longer one (JOHN SMITH in JOHN PAUL SMITH; ACME TRADING in ACME TRADING AND SHIPPING).
 *
 * The similarity is the larger of the two.
 */
import { distance } from 'fastest-levenshtein';
import jaroWinkler from 'jaro-winkler';
import { limits } from '../../limits.ts';
import type { NormalisedName } from '../names.ts';

/**
 * How alike two tokens are: the larger of Jaro-Winkler and the Levenshtein similarity (1 − edits /
 * longer length, fastest-levenshtein); 0 below the token threshold, 1 when equal.
 */
export function tokenSimilarity(a: string, b: string, tokenMin: number = limits.screening.tokenSimilarityMin): number {
  if (a === b) return 1;
  const s = Math.max(jaroWinkler(a, b), 1 - distance(a, b) / Math.max(a.length, b.length));
  return s >= tokenMin ? s : 0;
}

interface Pair {
  readonly i: number;
  readonly j: number;
  readonly s: number;
}

/** The similarity (0..1) of a screened name to a listed name. */
export function nameSimilarity(screened: NormalisedName, listed: NormalisedName, tokenMin: number = limits.screening.tokenSimilarityMin): number {
  const pairs: Pair[] = [];
  const q = screened.tokens;
  const c = listed.tokens;
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < c.length; j++) {
      const s = tokenSimilarity(q[i]!, c[j]!, tokenMin);
      if (s > 0) pairs.push({ i, j, s });
    }
  }
  pairs.sort((x, y) => y.s - x.s || x.i - y.i || x.j - y.j);
  const usedQ = new Uint8Array(q.length);
  const usedC = new Uint8Array(c.length);
  let both = 0;
  let listedSide = 0;
  let listedMatched = 0;
  for (const p of pairs) {
    if (usedQ[p.i] || usedC[p.j]) continue;
    usedQ[p.i] = 1;
    usedC[p.j] = 1;
    both += p.s * (q[p.i]!.length + c[p.j]!.length);
    listedSide += p.s * c[p.j]!.length;
    listedMatched++;
  }
  const full = both / (screened.length + listed.length);
  const contained = c.length >= 2 && listedMatched === c.length ? listedSide / listed.length : 0;
  return Math.max(full, contained);
}
