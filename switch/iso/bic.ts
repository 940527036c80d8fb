/**
 * BICs (ISO 9362) as the scheme compares them. One pattern for every check the switch makes: the
 * BICFIDec2014Identifier of the ISO 20022 schemas (institution code, country code, location code,
 * optional branch code). A BIC8 and the BIC11 with branch code XXX name the same institution (its head
 * office): BANKDEFF ≡ BANKDEFFXXX. Any other branch code names a branch, which is another party.
 * Comparison is exact otherwise: a BIC in lower case is not a BIC (the schemas' BICFI pattern refuses
 * it) and names nobody.
 */

/** ISO 9362: 4 letters or digits (institution), 2 letters (country), 2 (location), optionally 3 (branch). */
export const BIC_PATTERN = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

export function isBic(text: string): boolean {
  return BIC_PATTERN.test(text);
}

/** The one form of an institution's BIC used to compare: the BIC11 (a BIC8 gains the branch XXX). */
export function institutionKey(bic: string): string {
  return bic.length === 8 ? `${bic}XXX` : bic;
}

/** True when `a` and `b` name the same institution (BANKDEFF and BANKDEFFXXX do). */
export function sameInstitution(a: string, b: string): boolean {
  return a === b || institutionKey(a) === institutionKey(b);
}

/**
 * What `find` knows under this BIC, or else under its other spelling (BIC8 ↔ BIC11 with branch XXX):
 * the one lookup of an institution by BIC (the scheme configuration, the validation directory).
 */
export function findByBic<T>(bic: string, find: (bic: string) => T | undefined): T | undefined {
  const alias = bic.length === 8 ? `${bic}XXX` : bic.endsWith('XXX') ? bic.slice(0, 8) : bic;
  return find(bic) ?? find(alias);
}
