/**
 * What a sanctions or negative list is made of once parsed, whatever its format (docs/risk.md
 * "Screening", "Lists"): entries, each with an id in its list and the values screening matches.
 * Pure types and the one refusal of a list file; no I/O.
 */

/** The formats `clearhouse risk lists load --format` reads. */
export const LIST_FORMATS = ['un', 'ofac', 'scheme'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/**
 * - name: a name or alias, fuzzy-matched against the parties' names;
 * - bic, iban, country: matched exactly (normalised) against the payment's BICs, accounts and countries;
 * - listed_country: a country the entry names (UN nationality and address countries, as the list writes
 *   them): kept for the reviewer, never matched alone (a listed person's nationality is no reason to
 *   stop every payment from that country).
 */
export type ListValueKind = 'name' | 'bic' | 'iban' | 'country' | 'listed_country';
export const LIST_VALUE_KINDS: readonly ListValueKind[] = ['name', 'bic', 'iban', 'country', 'listed_country'];

export interface ListValue {
  readonly kind: ListValueKind;
  readonly value: string;
}

/** One entry of a list as a parser yields it (an entry may come in several records: OFAC aliases). */
export interface ListRecord {
  /** The list's own id: UN DATAID, OFAC ent_num, the scheme list's id column. */
  readonly entryId: string;
  /** Line of the file where the record starts (for messages). */
  readonly line: number;
  readonly values: readonly ListValue[];
}

/** A list file refused whole: where and why. Nothing of it is loaded. */
export class ListFormatError extends Error {
  override readonly name = 'ListFormatError';
  constructor(readonly line: number, readonly reason: string, readonly file?: string) {
    super(`${file ? `${file} ` : ''}line ${line}: ${reason}`);
  }
}

/** The chunks of a file, as a stream or a test gives them. */
export type ListSource = AsyncIterable<Uint8Array | string>;
