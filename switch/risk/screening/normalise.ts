/**
 * Normalisation of names, BICs, IBANs and countries before they are compared (docs/risk.md
 * "Screening", "Normalisation"). The same function runs on list entries when the index is built and
 * on a payment's names when it is screened, so both sides meet in one form. Pure: no I/O.
 *
 * A name becomes a sorted list of upper-case ASCII tokens:
 *  1. accents: NFKD, then the combining marks on Latin and Greek letters (É → E, ñ → n, ί → ι) and the
 *     vowel points of Arabic and Hebrew (optional in writing: عَبْد ≡ عبد) are dropped; the rest is
 *     recomposed (NFC) so that other letters reach step 2 whole (Cyrillic й stays й, not и);
 *  2. transliteration of every other script to ASCII with any-ascii (Cyrillic, Greek, Arabic, CJK…:
 *     Владимир → Vladimir, Αλέξανδρος → Alexandros), ß → ss, Ø → O, Æ → AE;
 *  3. upper case; apostrophes and quotes removed (O'Neil → ONEIL); every other character that is not
 *     a letter or a digit is a token separator; a hyphen gives two variants (AL-QAIDA → AL QAIDA and
 *     ALQAIDA), both indexed and both screened;
 *  4. noise tokens removed (legal forms, honorifics, connectives: NOISE_TOKENS) unless nothing else
 *     would remain;
 *  5. tokens sorted, so that token order never matters (SMITH, JOHN ≡ JOHN SMITH).
 */
import anyAscii from 'any-ascii';
import { limits } from '../../limits.ts';

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

/** A name as the index and the matcher see it: sorted tokens and their total length (the weight). */
export interface NormalisedName {
  readonly tokens: readonly string[];
  readonly length: number;
}

/** Marks that only accent or vocalise a letter: on Latin and Greek letters (accents), Arabic and Hebrew (vowel points). */
const ACCENT_MARKS = /(\p{Script=Latin}|\p{Script=Greek}|\p{Script=Arabic}|\p{Script=Hebrew})\p{M}+/gu;
const QUOTES = /['`"\u2018\u2019\u201B\u02BB\u02BC]/g;

/** Steps 1 to 3 up to the token split: upper-case ASCII, quotes gone, hyphens kept. */
export function asciiUpper(text: string): string {
  const unaccented = text.normalize('NFKD').replace(ACCENT_MARKS, '$1').normalize('NFC');
  return anyAscii(unaccented).toUpperCase().replace(QUOTES, '');
}

function tokensOf(ascii: string): string[] {
  const all = ascii.split(/[^A-Z0-9]+/).filter((t) => t.length > 0);
  const kept = all.filter((t) => !NOISE_TOKENS.has(t));
  const tokens = (kept.length > 0 ? kept : all).slice(0, limits.screening.nameTokensMax);
  return tokens.sort();
}

/**
 * The normalised forms of a name: one, or two when it has a hyphen (separate words, and joined).
 * Empty when the name has no letter or digit at all.
 */
export function normaliseName(name: string): NormalisedName[] {
  const ascii = asciiUpper(name.slice(0, limits.screening.nameLengthMax));
  const spellings = ascii.includes('-') ? [ascii.replace(/-/g, ' '), ascii.replace(/-/g, '')] : [ascii];
  const forms: NormalisedName[] = [];
  const seen = new Set<string>();
  for (const spelling of spellings) {
    const tokens = tokensOf(spelling);
    const key = tokens.join(' ');
    if (tokens.length === 0 || seen.has(key)) continue;
    seen.add(key);
    forms.push({ tokens, length: tokens.reduce((sum, t) => sum + t.length, 0) });
  }
  return forms;
}

/** An account identifier as written in a list or a payment: spaces removed, upper case. */
export function normaliseIban(iban: string): string {
  return iban.replace(/\s+/g, '').toUpperCase();
}

/** A BIC: spaces removed, upper case (the BIC8 / branch rules are the index's: screener.ts). */
export function normaliseBic(bic: string): string {
  return bic.replace(/\s+/g, '').toUpperCase();
}

/** An ISO 3166 alpha-2 country code: trimmed, upper case. */
export function normaliseCountry(country: string): string {
  return country.trim().toUpperCase();
}
