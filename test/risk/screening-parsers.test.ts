/**
 * The list parsers (switch/risk/screening/parse-*.ts, docs/risk.md "Screening", "Lists"): the UN
 * consolidated list XML, OFAC's sdn.csv and alt.csv, the scheme's own CSV list, read from the test
 * lists under test/fixtures/screening/ (the real formats' structure, invented entries). A malformed
 * file is refused whole with its line and reason, whatever the chunking of its bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListFormatError, type ListRecord, type ListSource } from '../../switch/risk/screening/list.ts';
import { parseUnList } from '../../switch/risk/screening/parse-un.ts';
import { parseOfacList } from '../../switch/risk/screening/parse-ofac.ts';
import { parseSchemeList } from '../../switch/risk/screening/parse-scheme.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'screening');
const file = (name: string): ListSource => createReadStream(join(FIXTURES, name));

/** The file's bytes in chunks of `size` (1: every byte alone, cutting every tag, reference and UTF-8 sequence). */
async function* chunked(name: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = readFileSync(join(FIXTURES, name));
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all(records: AsyncIterable<ListRecord>): Promise<ListRecord[]> {
  const out: ListRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

async function refusal(records: AsyncIterable<ListRecord>): Promise<ListFormatError> {
  try {
    await all(records);
  } catch (error) {
    assert.ok(error instanceof ListFormatError, `a ListFormatError, not ${String(error)}`);
    return error;
  }
  assert.fail('the file was accepted');
}

const names = (r: ListRecord | undefined) => r?.values.filter((v) => v.kind === 'name').map((v) => v.value);

describe('UN consolidated list XML', () => {
  it('reads individuals and entities: joined name parts, original script, aliases but the low-quality ones, countries', async () => {
    const records = await all(parseUnList(file('un-consolidated.xml')));
    assert.deepEqual(records.map((r) => r.entryId), ['6908001', '6908002', '6908003', '110901']);
    assert.deepEqual(names(records[0]), ['IVAN PETROVICH SIDOROV', 'Иван Петрович Сидоров', 'Ivan Sidorov'], 'the Low alias Vanya is left out');
    assert.deepEqual(records[0]!.values.filter((v) => v.kind === 'listed_country').map((v) => v.value), ['Russian Federation']);
    assert.deepEqual(names(records[1]), ['ABDUL RAHMAN YUSUF AL-HADDAD', 'عبد الرحمن يوسف الحداد', 'Abu Yusuf al-Yemeni']);
    assert.deepEqual(records[1]!.values.filter((v) => v.kind === 'listed_country').map((v) => v.value), ['Yemen', 'Saudi Arabia']);
    assert.deepEqual(names(records[2]), ['KONSTANTINOS PAPADOPOULOS', 'Κωνσταντίνος Παπαδόπουλος']);
    assert.deepEqual(names(records[3]), ['GOLDEN CRESCENT TRADING COMPANY LIMITED', 'Golden Crescent General Trading', 'Crescent Maritime Services']);
    assert.deepEqual(records[3]!.values.filter((v) => v.kind === 'listed_country').map((v) => v.value), ["Democratic People's Republic of Korea"]);
    assert.deepEqual(records.map((r) => r.line), [5, 49, 74, 90]);
  });

  it('reads the same records whatever the chunking of the bytes (one byte at a time cuts tags, references and UTF-8 sequences)', async () => {
    const whole = await all(parseUnList(file('un-consolidated.xml')));
    for (const size of [1, 7, 64, 4096]) assert.deepEqual(await all(parseUnList(chunked('un-consolidated.xml', size))), whole, `chunks of ${size}`);
  });

  const defects: [string, number, RegExp][] = [
    ['un-doctype.xml', 2, /DOCTYPE/],
    ['un-mismatched-tag.xml', 10, /end tag <\/SECOND_NAME> does not match <THIRD_NAME>/],
    ['un-missing-dataid.xml', 74, /without a DATAID/],
    ['un-truncated.xml', 100, /ends before <ENTITY> of line 90 is closed/],
    ['un-undeclared-entity.xml', 97, /entity reference "&nbsp;"/],
  ];
  for (const [name, line, reason] of defects) {
    it(`refuses ${name} whole: line ${line}, ${reason.source}`, async () => {
      for (const size of [1, 4096]) {
        const error = await refusal(parseUnList(chunked(name, size)));
        assert.equal(error.line, line, `${error.message} (chunks of ${size})`);
        assert.match(error.reason, reason);
      }
    });
  }

  it('refuses another root, text outside the root, CDATA, processing instructions and bytes that are not UTF-8', async () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ['<?xml version="1.0"?>\n<SDN_LIST></SDN_LIST>', /root element is <SDN_LIST>/],
      ['<CONSOLIDATED_LIST></CONSOLIDATED_LIST>\ntrailing', /text after the root element/],
      ['<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID><![CDATA[1]]></DATAID></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>', /CDATA/],
      ['<CONSOLIDATED_LIST><?php x ?></CONSOLIDATED_LIST>', /processing instructions/],
      [new Uint8Array([0x3c, 0x43, 0x3e, 0xff, 0x3c, 0x2f, 0x43, 0x3e]), /not UTF-8/],
      ['<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL a=1></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>', /malformed attributes/],
      ['', /no <CONSOLIDATED_LIST> element/],
    ];
    for (const [input, reason] of cases) {
      const error = await refusal(parseUnList((async function* () { yield input; })()));
      assert.match(error.reason, reason, String(input));
    }
  });
});

describe('OFAC SDN list CSV', () => {
  it('reads sdn.csv rows (nulls "-0-", CRLF, the 0x1A end mark) and alt.csv aliases of known entries', async () => {
    const records = await all(parseOfacList(file('ofac-sdn.csv'), file('ofac-alt.csv')));
    assert.deepEqual(records.map((r) => [r.entryId, names(r)![0], r.line]), [
      ['7001', 'NORTHERN STAR SHIPPING CO. LTD.', 1], ['7002', 'MUELLER, Hans-Juergen', 2], ['7003', 'OCEAN PEARL', 3],
      ['7004', 'DUBROVSKY, Alexei Nikolaevich', 4], ['7005', 'BANCO EJEMPLO INTERNACIONAL, S.A.', 5],
      ['7001', 'NORTHERN STAR MARINE', 1], ['7002', 'MULLER, Hans Jurgen', 2], ['7004', 'DUBROVSKIY, Aleksey', 3],
    ]);
    assert.deepEqual(await all(parseOfacList(chunked('ofac-sdn.csv', 3), chunked('ofac-alt.csv', 5))), records);
  });

  it('refuses a row with a wrong field count, an unclosed quote, an alias of an unknown entry', async () => {
    let error = await refusal(parseOfacList(file('ofac-sdn-11-fields.csv')));
    assert.deepEqual([error.file, error.line], ['sdn.csv', 3]);
    assert.match(error.reason, /11 fields where sdn.csv has 12/);
    error = await refusal(parseOfacList(file('ofac-sdn-unclosed-quote.csv')));
    assert.equal(error.file, 'sdn.csv');
    assert.ok(error.line >= 4, error.message);
    assert.match(error.reason, /quote/i);
    error = await refusal(parseOfacList(file('ofac-sdn.csv'), file('ofac-alt-unknown-ent-num.csv')));
    assert.deepEqual([error.file, error.line], ['alt.csv', 4]);
    assert.match(error.reason, /ent_num 7999 is not in sdn.csv/);
  });
});

describe("the scheme's own list", () => {
  it('reads names, BICs, IBANs (normalised) and countries, several rows to an entry', async () => {
    const records = await all(parseSchemeList(file('scheme-list.csv')));
    assert.deepEqual(records.map((r) => [r.entryId, r.values[0]!.kind, r.values[0]!.value, r.line]), [
      ['S-001', 'name', 'Shell Front Trading Ltd', 2], ['S-001', 'iban', 'DE89370400440532013000', 3], ['S-002', 'bic', 'FAKEDEFFXXX', 4],
      ['S-003', 'country', 'KP', 5], ['S-004', 'name', 'Müller & Söhne Import GmbH', 6], ['S-005', 'bic', 'BRNCHDEF123', 7],
    ]);
  });

  it('refuses a bad IBAN check digit, an unknown kind, a missing header', async () => {
    let error = await refusal(parseSchemeList(file('scheme-list-bad-iban.csv')));
    assert.equal(error.line, 3);
    assert.match(error.reason, /not an IBAN/);
    error = await refusal(parseSchemeList(file('scheme-list-unknown-kind.csv')));
    assert.equal(error.line, 5);
    assert.match(error.reason, /kind "region"/);
    error = await refusal(parseSchemeList((async function* () { yield 'S-1,name,X,\n'; })()));
    assert.equal(error.line, 1);
    assert.match(error.reason, /header/);
  });
});
