/**
 * The one name normaliser of the risk stage (docs/risk.md "Normalisation"): screening (a payment's and a
 * list's names, switch/risk/screening/) and payee verification (the name a payer typed against the name
 * on the account, switch/risk/payee-match.ts) fold a name the same way, so a name written differently
 * is the same name to both. Pure: no I/O.
 *
 * The fold (`foldName`), shared:
 *  1. accents: NFKD (compatibility forms too: ﬁ → fi, full-width Ａ → A), then the combining marks on
 *     Latin and Greek letters (É → E, ñ → n, ί → ι) and the vowel points of Arabic and Hebrew
 *     (optional in writing: عَبْد ≡ عبد) are dropped; the rest is recomposed (NFC) so that other letters
 *     reach step 2 whole (Cyrillic й stays й, not и);
 *  2. transliteration of every other script to ASCII with any-ascii (Cyrillic, Greek, Arabic, CJK…:
 *     Владимир → Vladimir, Αλέξανδρος → Alexandros), and the Latin letters that do not decompose
 *     (ß → ss, Ø → O, Æ → AE, Ł → L, Đ → D, Œ → OE, Þ → TH);
 *  3. upper case; apostrophes and quotes removed (O'Neil → ONEIL).
 * Then every character that is not a letter or a digit separates words (`nameWords`).
 *
 * What each caller does after the fold is its own matching rule, kept here beside it:
 *  - screening (`normaliseName`): a hyphen gives two spellings (AL-QAIDA → AL QAIDA and ALQAIDA), both
 *    indexed and both screened; noise words dropped (legal forms, honorifics, connectives: NOISE_TOKENS)
 *    unless nothing else would remain; at most limits.screening.nameTokensMax words; sorted;
 *  - payee verification (`payeeNameTokens`): dots join too (S.A.R.L. = SARL: a bank's customer types
 *    either); titles dropped (PAYEE_TITLES) but not legal forms (payee-match.ts compares without them
 *    only for a close match: "Acme GmbH" / "ACME" is CMTC, not MTCH); lower case; sorted.
 */
import anyAscii from 'any-ascii';
import { limits } from '../limits.ts';

/** Marks that only accent or vocalise a letter: on Latin and Greek letters (accents), Arabic and Hebrew (vowel points). */
const ACCENT_MARKS = /(\p{Script=Latin}|\p{Script=Greek}|\p{Script=Arabic}|\p{Script=Hebrew})\p{M}+/gu;
const QUOTES = /['`"\u2018\u2019\u201B\u02BB\u02BC]/g;

/** Steps 1 to 3: upper-case ASCII, quotes gone, every other separator (hyphens, dots, commas) kept. */
export function foldName(text: string): string {
  const unaccented = text.normalize('NFKD').replace(ACCENT_MARKS, '$1').normalize('NFC');
  return anyAscii(unaccented).toUpperCase().replace(QUOTES, '');
}

/** The words of a folded name: runs of letters and digits. */
export function nameWords(folded: string): string[] {
  return folded.split(/[^A-Z0-9]+/).filter((t) => t.length > 0);
}

// Screening.

/**
 * Words that say what kind of body or person a name is, not which one: legal forms (English, German,
 * French, Italian, Spanish, Dutch, Nordic, Hungarian, Gulf free zones, Russian transliterated), honorifics and
 * connectives. "ACME TRADING LTD" and "Acme Trading Limited" are one name. Kept short on purpose:
 * every word here is ignored in every name, so only words that never tell two parties apart belong.
 */
export const NOISE_TOKENS: ReadonlySet<string> = new Set([
  // Legal forms.
  'LTD', 'LIMITED', 'LLC', 'LLP', 'LP', 'INC', 'INCORPORATED', 'CORP', 'CORPORATION', 'CO', 'COMPANY', 'PLC',
  'GMBH', 'AG', 'KG', 'KGAA', 'MBH', 'EV', 'SA', 'SAS', 'SARL', 'SPA', 'SRL', 'SL', 'SE', 'BV', 'NV', 'VOF',
  'OY', 'OYJ', 'AB', 'AS', 'ASA', 'APS', 'PTE', 'PTY', 'BHD', 'SDN', 'JSC', 'OJSC', 'CJSC', 'PJSC', 'OOO', 'ZAO',
  'OAO', 'PAO', 'KFT', 'ZRT', 'FZE', 'FZCO',
  // Honorifics.
  'MR', 'MRS', 'MS', 'MISS', 'DR', 'PROF', 'SIR', 'MADAM', 'MME', 'HERR', 'FRAU',
  // Connectives.
  'THE', 'AND', 'OF', 'ET', 'UND',
]);

/** A name as the screening index and matcher see it: sorted tokens and their total length (the weight). */
export interface NormalisedName {
  readonly tokens: readonly string[];
  readonly length: number;
}

function screeningTokens(spelling: string): string[] {
  const all = nameWords(spelling);
  const kept = all.filter((t) => !NOISE_TOKENS.has(t));
  const tokens = (kept.length > 0 ? kept : all).slice(0, limits.screening.nameTokensMax);
  return tokens.sort();
}

/**
 * The normalised forms of a name for screening: one, or two when it has a hyphen (separate words, and
 * joined). Empty when the name has no letter or digit at all.
 */
export function normaliseName(name: string): NormalisedName[] {
  const folded = foldName(name.slice(0, limits.screening.nameLengthMax));
  const spellings = folded.includes('-') ? [folded.replace(/-/g, ' '), folded.replace(/-/g, '')] : [folded];
  const forms: NormalisedName[] = [];
  const seen = new Set<string>();
  for (const spelling of spellings) {
    const tokens = screeningTokens(spelling);
    const key = tokens.join(' ');
    if (tokens.length === 0 || seen.has(key)) continue;
    seen.add(key);
    forms.push({ tokens, length: tokens.reduce((sum, t) => sum + t.length, 0) });
  }
  return forms;
}

// Payee verification.

/** Titles a payer may type or leave out (Herr Müller = Müller); payee-match.ts keeps the legal forms. */
export const PAYEE_TITLES: ReadonlySet<string> = new Set(['MR', 'MRS', 'MS', 'MISS', 'MX', 'DR', 'PROF', 'SIR', 'HERR', 'FRAU', 'MME', 'MLLE', 'M']);

/** The tokens of a name as payee verification compares them: folded, dots joined, without titles, lower case, sorted. */
export function payeeNameTokens(name: string): string[] {
  return nameWords(foldName(name).replace(/\./g, '')).filter((t) => !PAYEE_TITLES.has(t)).map((t) => t.toLowerCase()).sort();
}
