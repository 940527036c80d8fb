/**
 * BICs (ISO 9362). One pattern for every check the switch makes: the BICFIDec2014Identifier of the
 * ISO 20022 schemas (institution code, country code, location code, optional branch code). A BIC8 and
 * its BIC11 with branch XXX name the same institution.
 */
export const BIC_PATTERN = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

export function isBic(text: string): boolean {
  return BIC_PATTERN.test(text);
}

/**
 * What `find` knows under this BIC, or else under its other spelling (BIC8 ↔ BIC11 with branch XXX):
 * the one lookup of an institution by BIC (the scheme configuration, the validation directory).
 */
export function findByBic<T>(bic: string, find: (bic: string) => T | undefined): T | undefined {
  const alias = bic.length === 8 ? `${bic}XXX` : bic.endsWith('XXX') ? bic.slice(0, 8) : bic;
  return find(bic) ?? find(alias);
}
