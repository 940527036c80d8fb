/**
 * Normalisation of BICs, IBANs and countries before they are compared (docs/risk.md "Screening",
 * "Normalisation"); names are folded by the risk stage's one name normaliser, switch/risk/names.ts
 * (shared with payee verification). The same functions run on list entries when the index is built
 * and on a payment's values when it is screened, so both sides meet in one form. Pure: no I/O.
 */

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
