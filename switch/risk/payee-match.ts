/**
 * Payee name matching (docs/risk.md, "Payee verification"): the name a payer typed against the name on
 * the account. Pure: no I/O.
 *
 *  - normalise: the risk stage's one name normaliser (switch/risk/names.ts `payeeNameTokens`, shared
 *    with screening): compatibility decomposition, accents dropped (é → e), other scripts and the
 *    letters that do not decompose transliterated (ß → ss, æ → ae, ø → o, ł → l, Владимир → vladimir),
 *    lower case, dots and apostrophes dropped (S.A.R.L. = SARL), anything else but letters and digits a
 *    separator; titles (mr, mrs, dr…) dropped; tokens sorted, so token order does not count
 *    ("Müller Anna" = "anna MULLER").
 *  - MTCH: the same tokens after normalisation.
 *  - CMTC: the same tokens once legal forms are dropped ("Acme GmbH" / "ACME"), or a similarity of at
 *    least `closeMatchSimilarityMin`: each token of one name paired with its most similar token of the
 *    other (Jaro-Winkler; an initial matches a token it begins at 0.9), averaged over the tokens (each
 *    counts the same, so a long shared surname does not carry another first name), the lower of the
 *    two directions (a missing surname is no match, not a close one).
 *  - NMTC otherwise, or when either name has no token left.
 */

import { payeeNameTokens } from './names.ts';

export type NameMatch = 'MTCH' | 'CMTC' | 'NMTC';

export interface NameComparison {
  readonly result: NameMatch;
  /** 1 for a match; the similarity otherwise (0..1), rounded to three decimals. */
  readonly similarity: number;
}

const LEGAL_FORMS: ReadonlySet<string> = new Set([
  'ltd', 'limited', 'plc', 'llc', 'inc', 'gmbh', 'ag', 'kg', 'ug', 'sa', 'sas', 'sarl', 'srl', 'spa', 'bv', 'nv', 'ab', 'as', 'oy', 'co',
]);
/** Similarity an initial ("a.") has with a token that starts with it ("anna"). */
const INITIAL_SIMILARITY = 0.9;

/** The tokens of a name as compared: folded by the risk stage's name normaliser (switch/risk/names.ts), without titles, sorted. */
export function nameTokens(name: string): string[] {
  return payeeNameTokens(name);
}

export function compareNames(asked: string, onAccount: string, closeMatchSimilarityMin: number): NameComparison {
  const a = nameTokens(asked);
  const b = nameTokens(onAccount);
  if (a.length === 0 || b.length === 0) return { result: 'NMTC', similarity: 0 };
  if (sameTokens(a, b)) return { result: 'MTCH', similarity: 1 };
  const withoutForms = (tokens: string[]): string[] => tokens.filter((t) => !LEGAL_FORMS.has(t));
  const a2 = withoutForms(a);
  const b2 = withoutForms(b);
  if (a2.length > 0 && sameTokens(a2, b2)) return { result: 'CMTC', similarity: 1 };
  const similarity = Math.min(directed(a, b), directed(b, a));
  const rounded = Math.round(similarity * 1000) / 1000;
  return { result: similarity >= closeMatchSimilarityMin ? 'CMTC' : 'NMTC', similarity: rounded };
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** How well the tokens of `from` are found in `to`: the mean of each token's best similarity. */
function directed(from: readonly string[], to: readonly string[]): number {
  let sum = 0;
  for (const token of from) {
    let best = 0;
    for (const other of to) best = Math.max(best, tokenSimilarity(token, other));
    sum += best;
  }
  return from.length === 0 ? 0 : sum / from.length;
}

function tokenSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  if ((a.length === 1 && b.startsWith(a)) || (b.length === 1 && a.startsWith(b))) return INITIAL_SIMILARITY;
  return jaroWinkler(a, b);
}

/** Jaro-Winkler similarity (prefix scale 0.1, prefix at most 4). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(b.length, i + window + 1); j++) {
      if (bMatched[j] || a[i] !== b[j]) continue;
      aMatched[i] = true;
      bMatched[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[j]) j++;
    if (a[i] !== b[j]) transpositions++;
    j++;
  }
  const jaro = (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < Math.min(4, a.length, b.length) && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}
