/**
 * PostgreSQL's COPY text format (https://www.postgresql.org/docs/15/sql-copy.html "Text Format"): one
 * line per row, columns separated by tabs, NULL as \N, and backslash, tab, newline and carriage return
 * escaped in a value. Used by batch intake to load its keys and payments (switch/engine/intake.ts).
 */
const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value as a COPY text field: `\N` for null, special characters escaped. */
export function copyField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}
