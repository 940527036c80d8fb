/**
 * The risk profile files participants supply (docs/risk.md "Reference data"), parsed strictly one line
 * at a time so that a file of millions of profiles is read in bounded memory. Two formats:
 *
 *   CSV (RFC 4180 without quoting: no field may hold a comma or a quote), header exactly
 *     kind,id,account_type,risk_level,customer
 *     account,DE89370400440532013000,personal,low,CUST-1
 *     customer,CUST-1,,high,
 *   JSON Lines: one JSON object per line,
 *     {"kind":"account","id":"DE89…","accountType":"personal","riskLevel":"low","customer":"CUST-1"}
 *     {"kind":"customer","id":"CUST-1","riskLevel":"high"}
 *
 * Empty lines are refused (a truncated or padded file is a mistake). Pure: the engine streams the lines
 * in (switch/engine/risk-profiles.ts) and stores them.
 */
import { accountTypes, riskLevels } from './config.ts';
import type { AccountType, RiskLevel } from './types.ts';

export type ProfileFormat = 'csv' | 'jsonl';

export type ProfileLine =
  | { readonly kind: 'account'; readonly id: string; readonly accountType: AccountType; readonly riskLevel: RiskLevel; readonly customer?: string }
  | { readonly kind: 'customer'; readonly id: string; readonly riskLevel: RiskLevel };

/** A refused profile file: the line (1-based) and why. Nothing of the file is loaded. */
export class ProfileFileError extends Error {
  override readonly name = 'ProfileFileError';
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

export const CSV_HEADER = 'kind,id,account_type,risk_level,customer';
/** An account or customer id: ISO Max34Text without spaces, commas or quotes (an IBAN or Othr/Id as the messages carry it). */
const ID = /^[\x21\x23-\x2B\x2D-\x7E]{1,34}$/;
const JSON_KEYS = new Set(['kind', 'id', 'accountType', 'riskLevel', 'customer']);

function checked(line: number, kind: unknown, id: unknown, accountType: unknown, riskLevel: unknown, customer: unknown): ProfileLine {
  if (kind !== 'account' && kind !== 'customer') throw new ProfileFileError(line, `kind must be "account" or "customer", not ${JSON.stringify(kind)}`);
  if (typeof id !== 'string' || !ID.test(id)) throw new ProfileFileError(line, `id ${JSON.stringify(id)} is not an account or customer id (1 to 34 printable characters, no space, comma or quote)`);
  if (typeof riskLevel !== 'string' || !riskLevels.includes(riskLevel as RiskLevel)) {
    throw new ProfileFileError(line, `risk level ${JSON.stringify(riskLevel)} is not one of ${riskLevels.join(', ')}`);
  }
  if (kind === 'customer') {
    if (accountType !== undefined && accountType !== '') throw new ProfileFileError(line, 'a customer has no account type');
    if (customer !== undefined && customer !== '') throw new ProfileFileError(line, 'a customer names no customer');
    return { kind, id, riskLevel: riskLevel as RiskLevel };
  }
  if (typeof accountType !== 'string' || !accountTypes.includes(accountType as AccountType)) {
    throw new ProfileFileError(line, `account type ${JSON.stringify(accountType)} is not one of ${accountTypes.join(', ')}`);
  }
  if (customer !== undefined && customer !== '' && (typeof customer !== 'string' || !ID.test(customer))) {
    throw new ProfileFileError(line, `customer ${JSON.stringify(customer)} is not a customer id`);
  }
  return { kind, id, accountType: accountType as AccountType, riskLevel: riskLevel as RiskLevel,
    ...(typeof customer === 'string' && customer !== '' ? { customer } : {}) };
}

/** One line of a file (without its line end); `line` is its 1-based number. The CSV header is line 1 (`checkHeader`). */
export function parseProfileLine(format: ProfileFormat, text: string, line: number): ProfileLine {
  if (text.length === 0) throw new ProfileFileError(line, 'empty line');
  if (format === 'csv') {
    if (text.includes('"')) throw new ProfileFileError(line, 'quoted fields are not supported');
    const fields = text.split(',');
    if (fields.length !== 5) throw new ProfileFileError(line, `${fields.length} fields, expected 5 (${CSV_HEADER})`);
    return checked(line, fields[0], fields[1], fields[2], fields[3], fields[4]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProfileFileError(line, `not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProfileFileError(line, 'a JSON object is required');
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!JSON_KEYS.has(key)) throw new ProfileFileError(line, `unknown field ${JSON.stringify(key)}`);
  return checked(line, o.kind, o.id, o.accountType, o.riskLevel, o.customer);
}

export function checkHeader(format: ProfileFormat, text: string): void {
  if (format === 'csv' && text !== CSV_HEADER) throw new ProfileFileError(1, `the header must be exactly "${CSV_HEADER}"`);
}
