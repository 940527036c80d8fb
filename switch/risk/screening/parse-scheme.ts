/**
 * The scheme's own negative list (docs/risk.md "Screening", "The scheme's list"): a CSV file with the
 * header `id,kind,value,remarks` and one value per row:
 *
 *   id,kind,value,remarks
 *   S-001,name,Shell Front Trading Ltd,fraud ring reported 2026-11-02
 *   S-001,iban,DE89370400440532013000,the same ring's account
 *   S-002,bic,FAKEDEFFXXX,
 *   S-003,country,KP,scheme embargo
 *
 * id: the entry (1..64 letters, digits, '.', '_', '-'; rows with one id are one entry); kind: name, bic,
 * iban or country; value: a name (1..nameLengthMax characters), a BIC (ISO 9362), an IBAN (checksum
 * verified) or an ISO 3166 alpha-2 code; remarks: free text for the reviewer (not stored). A row that
 * breaks any of these refuses the file. Pure: no I/O.
 */
import { isValidIBAN } from 'ibantools';
import { isBic } from '../../iso/bic.ts';
import { limits } from '../../limits.ts';
import { csvRows } from './csv-rows.ts';
import { ListFormatError, type ListRecord, type ListSource, type ListValueKind } from './list.ts';
import { normaliseBic, normaliseCountry, normaliseIban } from './normalise.ts';

export const SCHEME_LIST_HEADER = ['id', 'kind', 'value', 'remarks'] as const;
const ID = /^[A-Za-z0-9._-]{1,64}$/;
const KINDS: readonly ListValueKind[] = ['name', 'bic', 'iban', 'country'];

export async function* parseSchemeList(source: ListSource): AsyncGenerator<ListRecord> {
  let header = true;
  for await (const row of csvRows(source)) {
    const fields = row.fields.map((f) => f.trim());
    if (header) {
      if (fields.join(',').toLowerCase() !== SCHEME_LIST_HEADER.join(',')) {
        throw new ListFormatError(row.line, `the header must be ${SCHEME_LIST_HEADER.join(',')}`);
      }
      header = false;
      continue;
    }
    if (fields.length !== 4) throw new ListFormatError(row.line, `${fields.length} fields where the scheme list has 4 (${SCHEME_LIST_HEADER.join(',')})`);
    const [id, kind, raw] = fields as [string, string, string];
    if (!ID.test(id)) throw new ListFormatError(row.line, `id ${JSON.stringify(id)}: 1..64 letters, digits, '.', '_' or '-'`);
    if (!(KINDS as readonly string[]).includes(kind)) throw new ListFormatError(row.line, `kind ${JSON.stringify(kind)}: one of ${KINDS.join(', ')}`);
    yield { entryId: id, line: row.line, values: [{ kind: kind as ListValueKind, value: checkedValue(kind as ListValueKind, raw, row.line) }] };
  }
  if (header) throw new ListFormatError(1, 'empty file: no header');
}

function checkedValue(kind: ListValueKind, raw: string, line: number): string {
  switch (kind) {
    case 'name': {
      const v = raw.replace(/\s+/g, ' ');
      if (v.length === 0 || v.length > limits.screening.nameLengthMax) throw new ListFormatError(line, `a name of 1..${limits.screening.nameLengthMax} characters`);
      return v;
    }
    case 'bic': {
      const v = normaliseBic(raw);
      if (!isBic(v)) throw new ListFormatError(line, `${JSON.stringify(raw)} is not a BIC`);
      return v;
    }
    case 'iban': {
      const v = normaliseIban(raw);
      if (!isValidIBAN(v)) throw new ListFormatError(line, `${JSON.stringify(raw)} is not an IBAN (structure or check digits)`);
      return v;
    }
    default: {
      const v = normaliseCountry(raw);
      if (!/^[A-Z]{2}$/.test(v)) throw new ListFormatError(line, `${JSON.stringify(raw)} is not an ISO 3166 alpha-2 country code`);
      return v;
    }
  }
}
