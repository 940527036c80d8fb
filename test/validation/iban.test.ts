/**
 * The rules' IBAN check (switch/validation/iban.ts) answers as ibantools' isValidIBAN, on valid IBANs
 * of every country ibantools knows, on each of them with one character changed, and on arbitrary strings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { composeIBAN, countrySpecs, isValidIBAN } from 'ibantools';
import { validIban } from '../../switch/validation/iban.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A valid IBAN of `country`, when a BBAN of its pattern is found among a few tries, else undefined. */
function sample(country: string, random: () => number): string | undefined {
  const spec = countrySpecs[country]!;
  if (!spec.chars || !spec.bban_regexp) return undefined;
  const pattern = new RegExp(spec.bban_regexp);
  for (let attempt = 0; attempt < 200; attempt++) {
    let bban = '';
    for (let i = 0; i < spec.chars - 4; i++) bban += random() < 0.8 ? String(Math.floor(random() * 10)) : ALPHABET[10 + Math.floor(random() * 26)];
    if (!pattern.test(bban)) continue;
    const iban = composeIBAN({ countryCode: country, bban });
    if (iban && isValidIBAN(iban)) return iban;
  }
  return undefined;
}

describe('IBAN check', () => {
  it('agrees with ibantools on valid IBANs of every country and on each with one character changed', () => {
    let seed = 7;
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    let valid = 0;
    for (const country of Object.keys(countrySpecs)) {
      const iban = sample(country, random);
      if (iban === undefined) continue;
      valid++;
      assert.equal(validIban(iban), true, iban);
      for (let i = 0; i < iban.length; i++) {
        for (const c of ['0', '7', 'A', 'Z', 'a', ' ', '-']) {
          const changed: string = iban.slice(0, i) + c + iban.slice(i + 1);
          assert.equal(validIban(changed), isValidIBAN(changed), changed);
        }
      }
      assert.equal(validIban(iban.slice(0, -1)), isValidIBAN(iban.slice(0, -1)));
      assert.equal(validIban(`${iban}0`), isValidIBAN(`${iban}0`));
    }
    assert.ok(valid > 50, `valid IBANs made for ${valid} countries`);
  });

  it('agrees with ibantools on arbitrary strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^(DE|FR|NL|BE|IT|GB|CH)[0-9]{2}[0-9A-Za-z ]{10,30}$/)),
      (s) => validIban(s) === isValidIBAN(s)), { numRuns: 5_000 });
  });
});
