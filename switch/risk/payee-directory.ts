/**
 * The payee directory file a participant supplies (docs/risk.md, "Payee verification"): the name on
 * each of its accounts. Pure: text in, entries or the first problem (with its line) out; a file with
 * any problem is refused whole, so nothing is half-loaded.
 *
 * CSV (RFC 4180: comma-separated, fields with commas or quotes in double quotes, "" for a quote), with
 * the header line `account,name`; or JSON, an array of {"account": "...", "name": "..."}.
 * An account is an IBAN (spaces allowed, upper-cased; its check digits must hold) or another account
 * number of 1..34 characters without spaces; a name is 1..140 printable characters. An account
 * appears once.
 */
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { limits } from '../limits.ts';

export interface DirectoryEntry {
  readonly account: string;
  readonly name: string;
}

export type DirectoryParse =
  | { readonly ok: true; readonly entries: readonly DirectoryEntry[] }
  | { readonly ok: false; readonly line: number; readonly reason: string };

const CONTROL = /\p{Cc}/u;
const IBAN_LIKE = /^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]+$/;

export function parseDirectoryFile(text: string, format: 'csv' | 'json'): DirectoryParse {
  const rows = format === 'json' ? jsonRows(text) : csvRows(text);
  if ('reason' in rows) return { ok: false, line: rows.line, reason: rows.reason };
  const seen = new Map<string, number>();
  const entries: DirectoryEntry[] = [];
  for (const row of rows.rows) {
    if (entries.length >= limits.payee.directoryEntriesMax) {
      return { ok: false, line: row.line, reason: `more than ${limits.payee.directoryEntriesMax} accounts in one file` };
    }
    const account = normaliseAccount(row.account);
    if ('reason' in account) return { ok: false, line: row.line, reason: account.reason };
    const name = row.name.trim();
    if (name.length === 0 || name.length > limits.payee.directoryNameLengthMax || CONTROL.test(name)) {
      return { ok: false, line: row.line, reason: `the name must be 1..${limits.payee.directoryNameLengthMax} printable characters` };
    }
    const earlier = seen.get(account.value);
    if (earlier !== undefined) return { ok: false, line: row.line, reason: `account ${account.value} already on line ${earlier}` };
    seen.set(account.value, row.line);
    entries.push({ account: account.value, name });
  }
  return { ok: true, entries };
}

/** The account as the switch keys it: an IBAN in electronic form, else the identification as written. */
export function normaliseAccount(raw: string): { value: string } | { reason: string } {
  const trimmed = raw.trim();
  if (IBAN_LIKE.test(trimmed)) {
    const iban = electronicFormatIBAN(trimmed) ?? '';
    return isValidIBAN(iban) ? { value: iban } : { reason: `${trimmed} is not a valid IBAN (check digits or country format)` };
  }
  if (trimmed.length === 0 || trimmed.length > limits.payee.directoryAccountLengthMax || /\s/.test(trimmed) || CONTROL.test(trimmed)) {
    return { reason: `an account is an IBAN or 1..${limits.payee.directoryAccountLengthMax} characters without spaces` };
  }
  return { value: trimmed };
}

interface Row {
  readonly line: number;
  readonly account: string;
  readonly name: string;
}

function jsonRows(text: string): { rows: Row[] } | { line: number; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { line: 1, reason: `not JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(parsed)) return { line: 1, reason: 'a JSON directory is an array of {"account", "name"}' };
  const rows: Row[] = [];
  for (const [index, item] of parsed.entries()) {
    const record = item as Record<string, unknown> | null;
    if (typeof record !== 'object' || record === null || typeof record.account !== 'string' || typeof record.name !== 'string' ||
      Object.keys(record).some((k) => k !== 'account' && k !== 'name')) {
      // JSON has no lines that mean anything here: the entry's position stands in for it.
      return { line: index + 1, reason: `entry ${index + 1} is not {"account": string, "name": string}` };
    }
    rows.push({ line: index + 1, account: record.account, name: record.name });
  }
  return { rows };
}

function csvRows(text: string): { rows: Row[] } | { line: number; reason: string } {
  const records = csvRecords(text.startsWith('\uFEFF') ? text.slice(1) : text);
  if ('reason' in records) return records;
  const [header, ...body] = records.records;
  if (!header || header.fields.map((f) => f.trim().toLowerCase()).join(',') !== 'account,name') {
    return { line: 1, reason: 'the first line must be the header account,name' };
  }
  const rows: Row[] = [];
  for (const record of body) {
    if (record.fields.length === 1 && record.fields[0] === '') continue; // a blank line
    if (record.fields.length !== 2) return { line: record.line, reason: `${record.fields.length} fields, expected 2 (account,name)` };
    rows.push({ line: record.line, account: record.fields[0]!, name: record.fields[1]! });
  }
  return { rows };
}

/** RFC 4180 records with the line each starts on. */
function csvRecords(text: string): { records: { line: number; fields: string[] }[] } | { line: number; reason: string } {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false;
      else { if (c === '\n') line++; field += c; }
      continue;
    }
    if (c === '"') {
      if (field !== '' || wasQuoted) return { line, reason: 'a quote inside an unquoted field' };
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      fields.push(field); field = ''; wasQuoted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ line: start, fields });
      fields = []; field = ''; wasQuoted = false;
      line++; start = line;
    } else {
      if (wasQuoted) return { line, reason: 'text after a closing quote' };
      field += c;
    }
  }
  if (quoted) return { line: start, reason: 'a quoted field is not closed' };
  if (field !== '' || fields.length > 0 || wasQuoted) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  return { records };
}
