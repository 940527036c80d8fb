/**
 * OFAC's SDN list in its CSV release (docs/risk.md "Screening", "Lists"; OFAC's data specification):
 *
 *   sdn.csv  ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag,
 *            Vess_owner, Remarks   (12 fields, no header; "-0-" is a null)
 *   alt.csv  ent_num, alt_num, alt_type, alt_name, alt_remarks   (5 fields: aka, fka, nka names)
 *
 * Each sdn.csv row is an entry (ent_num its id) with SDN_Name as its name (individuals are written
 * "LAST, First"; token order does not matter to matching). Each alt.csv row adds alt_name to the entry
 * of its ent_num, which must be in sdn.csv. Weak aliases, which OFAC keeps only in Remarks, are not
 * screened (OFAC itself says they are too broad to screen on). Pure: no I/O.
 */
import { limits } from '../../limits.ts';
import { csvRows } from './csv-rows.ts';
import { ListFormatError, type ListRecord, type ListSource } from './list.ts';

const NULL = '-0-';
const ENT_NUM = /^[0-9]{1,18}$/;

function value(field: string | undefined): string {
  const v = (field ?? '').trim();
  return v === NULL ? '' : v;
}

function checkedName(name: string, line: number, file: string): string {
  const v = name.replace(/\s+/g, ' ').trim();
  if (v.length === 0) throw new ListFormatError(line, 'empty name', file);
  if (v.length > limits.screening.nameLengthMax) throw new ListFormatError(line, `a name longer than ${limits.screening.nameLengthMax} characters`, file);
  return v;
}

/** sdn.csv, then (when given) alt.csv. */
export async function* parseOfacList(sdn: ListSource, aliases?: ListSource): AsyncGenerator<ListRecord> {
  const entries = new Set<string>();
  for await (const row of csvRows(sdn, 'sdn.csv')) {
    if (row.fields.length !== 12) throw new ListFormatError(row.line, `${row.fields.length} fields where sdn.csv has 12`, 'sdn.csv');
    const entNum = value(row.fields[0]);
    if (!ENT_NUM.test(entNum)) throw new ListFormatError(row.line, `ent_num ${JSON.stringify(row.fields[0])} is not a number`, 'sdn.csv');
    if (entries.has(entNum)) throw new ListFormatError(row.line, `ent_num ${entNum} appears twice`, 'sdn.csv');
    entries.add(entNum);
    yield { entryId: entNum, line: row.line, values: [{ kind: 'name', value: checkedName(value(row.fields[1]), row.line, 'sdn.csv') }] };
  }
  if (aliases === undefined) return;
  for await (const row of csvRows(aliases, 'alt.csv')) {
    if (row.fields.length !== 5) throw new ListFormatError(row.line, `${row.fields.length} fields where alt.csv has 5`, 'alt.csv');
    const entNum = value(row.fields[0]);
    if (!ENT_NUM.test(entNum)) throw new ListFormatError(row.line, `ent_num ${JSON.stringify(row.fields[0])} is not a number`, 'alt.csv');
    if (!entries.has(entNum)) throw new ListFormatError(row.line, `ent_num ${entNum} is not in sdn.csv`, 'alt.csv');
    yield { entryId: entNum, line: row.line, values: [{ kind: 'name', value: checkedName(value(row.fields[3]), row.line, 'alt.csv') }] };
  }
}
