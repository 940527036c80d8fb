/**
 * The UN Security Council consolidated list (consolidated.xml, its published XSD's structure;
 * docs/risk.md "Screening", "Lists"): CONSOLIDATED_LIST with INDIVIDUALS/INDIVIDUAL and
 * ENTITIES/ENTITY, each with its DATAID (the entry id here).
 *
 *  - an individual's name: FIRST_NAME, SECOND_NAME, THIRD_NAME, FOURTH_NAME joined; NAME_ORIGINAL_SCRIPT;
 *    each INDIVIDUAL_ALIAS/ALIAS_NAME whose QUALITY is not "Low" (the UN marks as low quality the
 *    aliases too vague to identify anyone, such as a first name or a nom de guerre alone);
 *  - an entity's name: FIRST_NAME; each ENTITY_ALIAS/ALIAS_NAME (same rule);
 *  - listed countries (kept for the reviewer, not matched): NATIONALITY/VALUE, INDIVIDUAL_ADDRESS/COUNTRY,
 *    ENTITY_ADDRESS/COUNTRY, as written (the list writes country names, not codes).
 *
 * A record without DATAID or without a name refuses the file. Pure: no I/O.
 */
import { text, type XmlElement, type XmlNode } from '../../iso/xml.ts';
import { limits } from '../../limits.ts';
import { ListFormatError, type ListRecord, type ListSource, type ListValue } from './list.ts';
import { xmlRecords } from './xml-records.ts';

const REPEATING = new Set(['INDIVIDUAL_ALIAS', 'ENTITY_ALIAS', 'INDIVIDUAL_ADDRESS', 'ENTITY_ADDRESS', 'NATIONALITY', 'VALUE',
  'INDIVIDUAL_DATE_OF_BIRTH', 'INDIVIDUAL_PLACE_OF_BIRTH', 'INDIVIDUAL_DOCUMENT', 'DESIGNATION', 'TITLE', 'LAST_DAY_UPDATED']);

const NAME_PARTS = ['FIRST_NAME', 'SECOND_NAME', 'THIRD_NAME', 'FOURTH_NAME'] as const;

function list(node: XmlNode | XmlNode[] | undefined): XmlNode[] {
  return node === undefined ? [] : Array.isArray(node) ? node : [node];
}

function leaf(element: XmlElement, name: string): string {
  const value = element[name];
  return (text(value) ?? '').trim();
}

function child(node: XmlNode): XmlElement {
  return typeof node === 'string' ? {} : node;
}

export async function* parseUnList(source: ListSource): AsyncGenerator<ListRecord> {
  const records = xmlRecords(source, { root: 'CONSOLIDATED_LIST', records: ['INDIVIDUALS/INDIVIDUAL', 'ENTITIES/ENTITY'], repeating: REPEATING });
  for await (const record of records) {
    const e = record.element;
    const dataId = leaf(e, 'DATAID');
    if (!/^[0-9]{1,18}$/.test(dataId)) throw new ListFormatError(record.line, `<${record.name}> without a DATAID (a number)`);
    const prefix = record.name === 'INDIVIDUAL' ? 'INDIVIDUAL' : 'ENTITY';
    const values: ListValue[] = [];
    const name = (value: string): void => {
      const v = value.replace(/\s+/g, ' ').trim();
      if (v.length === 0) return;
      if (v.length > limits.screening.nameLengthMax) {
        throw new ListFormatError(record.line, `DATAID ${dataId}: a name longer than ${limits.screening.nameLengthMax} characters`);
      }
      values.push({ kind: 'name', value: v });
    };
    name(record.name === 'INDIVIDUAL' ? NAME_PARTS.map((p) => leaf(e, p)).filter((p) => p.length > 0).join(' ') : leaf(e, 'FIRST_NAME'));
    name(leaf(e, 'NAME_ORIGINAL_SCRIPT'));
    if (values.length === 0) throw new ListFormatError(record.line, `DATAID ${dataId}: no name (FIRST_NAME is empty)`);
    for (const alias of list(e[`${prefix}_ALIAS`])) {
      const a = child(alias);
      if (leaf(a, 'QUALITY').toLowerCase() !== 'low') name(leaf(a, 'ALIAS_NAME'));
    }
    for (const nationality of list(e.NATIONALITY)) {
      for (const v of list(child(nationality).VALUE)) {
        const country = (text(v) ?? '').trim();
        if (country.length > 0) values.push({ kind: 'listed_country', value: country });
      }
    }
    for (const address of list(e[`${prefix}_ADDRESS`])) {
      const country = leaf(child(address), 'COUNTRY');
      if (country.length > 0) values.push({ kind: 'listed_country', value: country });
    }
    yield { entryId: dataId, line: record.line, values: dedupe(values) };
  }
}

function dedupe(values: readonly ListValue[]): ListValue[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = `${v.kind}\u0000${v.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export { dedupe as dedupeValues };
