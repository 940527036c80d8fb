/**
 * Amounts: ISO decimal text <-> bigint minor units at the currency's exponent. Never via `number`.
 */
import currencyCodes from 'currency-codes';

const exponentCache = new Map<string, number | null>();

/**
 * ISO 4217 codes whose minor unit is "N.A." (precious metals, bond-market units, SDR, Sucre, ADB unit,
 * test and no-currency codes): not payable. currency-codes reports 0 digits for them, so they are
 * named here. XAF, XOF, XPF (0 decimals) and XCD (2) are ordinary currencies and are not in this set.
 */
const notPayable = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/** The ISO 4217 minor-unit exponent of a currency, or null for an unknown code. */
export function currencyExponent(currency: string): number | null {
  const cached = exponentCache.get(currency);
  if (cached !== undefined) return cached;
  const entry = /^[A-Z]{3}$/.test(currency) ? currencyCodes.code(currency) : undefined;
  const exponent = entry && typeof entry.digits === 'number' && !notPayable.has(currency) ? entry.digits : null;
  exponentCache.set(currency, exponent);
  return exponent;
}

export type AmountResult =
  | { readonly ok: true; readonly minor: bigint }
  | { readonly ok: false; readonly reason: 'syntax' | 'currency' | 'decimals' };

const decimalPattern = /^(\d{1,18})(?:\.(\d{1,5}))?$/;

/**
 * Parse ISO decimal text (as XSD ActiveCurrencyAndAmount: up to 18 digits, up to 5 decimals) into
 * minor units. Fails when the currency is unknown or the text has more significant decimals than the
 * currency allows (trailing zeros beyond the exponent are accepted: "10.500" EUR is 1050).
 */
export function parseAmount(text: string, currency: string): AmountResult {
  const match = decimalPattern.exec(text);
  if (!match) return { ok: false, reason: 'syntax' };
  const exponent = currencyExponent(currency);
  if (exponent === null) return { ok: false, reason: 'currency' };
  const whole = match[1]!;
  let fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    if (!/^0*$/.test(fraction.slice(exponent))) return { ok: false, reason: 'decimals' };
    fraction = fraction.slice(0, exponent);
  }
  return { ok: true, minor: BigInt(whole + fraction.padEnd(exponent, '0')) };
}

/** Minor units -> ISO decimal text with exactly the currency's exponent (EUR 1050n -> "10.50"). */
export function formatAmount(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === null) throw new Error(`formatAmount: unknown currency ${currency}`);
  if (minor < 0n) throw new Error('formatAmount: negative amount');
  if (exponent === 0) return minor.toString();
  const digits = minor.toString().padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** Minor units with an explicit sign, for positions: -1050n EUR -> "-10.50", 1050n -> "+10.50". */
export function formatSignedAmount(minor: bigint, currency: string): string {
  return (minor < 0n ? '-' : '+') + formatAmount(minor < 0n ? -minor : minor, currency);
}

/**
 * Parse a plain decimal (CtrlSum: no currency, up to 17 decimals in ISO) scaled to `scale` decimals,
 * or null when it has more significant decimals than `scale` or is not a decimal.
 */
export function parseDecimalScaled(text: string, scale: number): bigint | null {
  const match = /^(\d{1,18})(?:\.(\d{1,17}))?$/.exec(text);
  if (!match) return null;
  let fraction = match[2] ?? '';
  if (fraction.length > scale) {
    if (!/^0*$/.test(fraction.slice(scale))) return null;
    fraction = fraction.slice(0, scale);
  }
  return BigInt(match[1]! + fraction.padEnd(scale, '0'));
}

/** Format a scaled decimal (value with `scale` implied decimals) as text, trimming nothing. */
export function formatDecimalScaled(value: bigint, scale: number): string {
  if (scale === 0) return value.toString();
  const digits = value.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
