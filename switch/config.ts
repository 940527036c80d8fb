/**
 * The scheme configuration file (JSON), checked at load with clear errors. This is the part the
 * message layer needs (currencies, participants, per-payment limits); the clearing engine adds
 * calendar, cycles and services to the same file.
 */
import { readFileSync } from 'node:fs';
import { currencyExponent, parseAmount } from './iso/amount.ts';

export type ParticipantStatus = 'active' | 'suspended';

export interface ParticipantConfig {
  readonly bic: string;
  readonly name: string;
  readonly status: ParticipantStatus;
  readonly currencies: readonly string[];
}

export interface SchemeConfig {
  readonly name: string;
  readonly currencies: readonly string[];
  /** Per currency, the largest single payment as decimal text, e.g. { "EUR": "100000.00" }. */
  readonly perPaymentMaximum?: Readonly<Record<string, string>>;
  readonly participants: readonly ParticipantConfig[];
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid scheme configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const BIC = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

export function loadConfig(path: string): SchemeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`${path}: ${(error as Error).message}`]);
  }
  return checkConfig(raw);
}

/** Check an untrusted value against the configuration shape; collects every problem. */
export function checkConfig(raw: unknown): SchemeConfig {
  const problems: string[] = [];
  const o = (raw ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(['the configuration must be a JSON object']);
  if (typeof o.name !== 'string' || o.name.length === 0) problems.push('name: a non-empty string is required');
  const currencies = Array.isArray(o.currencies) ? o.currencies : [];
  if (!Array.isArray(o.currencies) || currencies.length === 0) problems.push('currencies: a non-empty list of ISO 4217 codes is required');
  for (const c of currencies) {
    if (typeof c !== 'string' || currencyExponent(c) === null) problems.push(`currencies: ${JSON.stringify(c)} is not an ISO 4217 currency`);
  }
  const maximum = (o.perPaymentMaximum ?? {}) as Record<string, unknown>;
  for (const [currency, value] of Object.entries(maximum)) {
    if (!currencies.includes(currency)) problems.push(`perPaymentMaximum.${currency}: not a scheme currency`);
    if (typeof value !== 'string' || !parseAmount(value, currency).ok) {
      problems.push(`perPaymentMaximum.${currency}: ${JSON.stringify(value)} is not a valid ${currency} amount (write it as a string)`);
    }
  }
  const participants = Array.isArray(o.participants) ? o.participants : [];
  if (!Array.isArray(o.participants) || participants.length === 0) problems.push('participants: a non-empty list is required');
  const seen = new Set<string>();
  participants.forEach((p: Record<string, unknown>, i: number) => {
    const where = `participants[${i}]`;
    if (typeof p?.bic !== 'string' || !BIC.test(p.bic)) problems.push(`${where}.bic: ${JSON.stringify(p?.bic)} is not a BIC`);
    else if (seen.has(p.bic)) problems.push(`${where}.bic: ${p.bic} is listed twice`);
    else seen.add(p.bic);
    if (typeof p?.name !== 'string' || p.name.length === 0) problems.push(`${where}.name: required`);
    if (p?.status !== 'active' && p?.status !== 'suspended') problems.push(`${where}.status: must be "active" or "suspended"`);
    if (!Array.isArray(p?.currencies) || p.currencies.some((c: unknown) => !currencies.includes(c))) {
      problems.push(`${where}.currencies: must be a list of scheme currencies`);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return o as unknown as SchemeConfig;
}
