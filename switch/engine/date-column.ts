/**
 * A DATE column as YYYY-MM-DD text: node-postgres reads it as text, PGlite as a Date.
 */
import { isoDate } from './context.ts';

export function dateText(value: string | Date | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value.slice(0, 10) : isoDate(value);
}
