/**
 * Generated names for the screening tests and benchmark (docs/risk.md "Screening", "Measured"):
 * pronounceable tokens of two to four syllables, names of two to four tokens, from a seeded generator,
 * so a list of a million names and a population of unrelated payers are the same on every run.
 */
import { random } from '../../switch/demo/generate.ts';

const ONSETS = ['B', 'CH', 'D', 'F', 'G', 'H', 'J', 'K', 'KH', 'L', 'M', 'N', 'P', 'R', 'S', 'SH', 'T', 'V', 'W', 'Y', 'Z', ''];
const VOWELS = ['A', 'E', 'I', 'O', 'U', 'AI', 'OU', 'IA'];
const CODAS = ['', '', '', 'N', 'R', 'L', 'S', 'M', 'K', 'T'];

/** The seeded generator the demo and the simulation use (Mulberry32, uniform in [0, 1)). */
export const seededRandom = random;

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
