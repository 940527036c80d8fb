/**
 * IBAN check for the transaction rules (rules.ts): the same answer as ibantools' `isValidIBAN` (its
 * country specs: length, BBAN pattern, the country's own BBAN check, and its check-digit arithmetic),
 * without its per-call costs: it compiled two regular expressions and built the digit string of the
 * whole IBAN for every call, about 5 µs each, twice per transaction of a bulk file (issue 15). The
 * patterns are compiled once per country and the remainder modulo 97 is taken character by
 * character. An IBAN with characters other than 0-9 and A-Z (which no country's pattern admits today)
 * is left to ibantools itself. test/validation/iban.test.ts compares the two.
 */
import { countrySpecs, isValidIBAN } from 'ibantools';

const TWO_DIGITS = /^[0-9]{2}$/;
const ALPHANUMERIC = /^[0-9A-Z]*$/;
const SEPARATORS = /[\s.]+/g;
const patterns = new Map<string, RegExp>();

export function validIban(iban: string): boolean {
  const country = iban.slice(0, 2);
  const spec = countrySpecs[country];
  if (spec === undefined || spec === null || spec.bban_regexp === undefined || spec.bban_regexp === null
    || spec.chars === undefined || spec.chars === null) return false;
  if (spec.chars !== iban.length || !TWO_DIGITS.test(iban.slice(2, 4))) return false;
  if (!ALPHANUMERIC.test(iban)) return isValidIBAN(iban);
  const bban = iban.slice(4);
  let pattern = patterns.get(spec.bban_regexp);
  if (pattern === undefined) {
    pattern = new RegExp(spec.bban_regexp, '');
    patterns.set(spec.bban_regexp, pattern);
  }
  if (!pattern.test(bban)) return false;
  if (spec.bban_validation_func && !spec.bban_validation_func(bban.replace(SEPARATORS, ''))) return false;
  // ibantools: 98 − (BBAN, country code, "00" with letters as 10..35) mod 97 equals the check digits.
  let rest = 0;
  for (let i = 4; i < iban.length; i++) rest = next(rest, iban.charCodeAt(i));
  rest = (next(next(rest, iban.charCodeAt(0)), iban.charCodeAt(1)) * 100) % 97;
  return 98 - rest === Number(iban.slice(2, 4));
}

/** The remainder modulo 97 after appending one character: a digit, or a letter as its two digits (A = 10). */
function next(rest: number, code: number): number {
  return code >= 65 ? (rest * 100 + code - 55) % 97 : (rest * 10 + code - 48) % 97;
}
