/**
 * Generated names for the screening tests and benchmark (docs/risk.md "Screening", "Measured"):
 * pronounceable tokens of two to four syllables, names of two to four tokens, from a seeded generator,
 * so a list of a million names and a population of unrelated payers are the same on every run.
 */

const ONSETS = ['B', 'CH', 'D', 'F', 'G', 'H', 'J', 'K', 'KH', 'L', 'M', 'N', 'P', 'R', 'S', 'SH', 'T', 'V', 'W', 'Y', 'Z', ''];
const VOWELS = ['A', 'E', 'I', 'O', 'U', 'AI', 'OU', 'IA'];
const CODAS = ['', '', '', 'N', 'R', 'L', 'S', 'M', 'K', 'T'];

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** One token of at least four letters. */
export function generatedToken(random: () => number): string {
  for (;;) {
    const syllables = 2 + Math.floor(random() * 3);
    let token = '';
    for (let i = 0; i < syllables; i++) token += pick(random, ONSETS) + pick(random, VOWELS) + pick(random, CODAS);
    if (token.length >= 4) return token;
  }
}

/** A name of two to four tokens, as a list or a payment would write it (capitalised words). */
export function generatedName(random: () => number): string {
  const tokens = 2 + Math.floor(random() * 3);
  const words: string[] = [];
  for (let i = 0; i < tokens; i++) {
    const t = generatedToken(random);
    words.push(t[0] + t.slice(1).toLowerCase());
  }
  return words.join(' ');
}
