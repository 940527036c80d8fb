/**
 * Payee name matching and the payee directory file (switch/risk/payee-match.ts, payee-directory.ts):
 * table-driven, pure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareNames, jaroWinkler, nameTokens } from '../../switch/risk/payee-match.ts';
import { parseDirectoryFile } from '../../switch/risk/payee-directory.ts';
import { limits } from '../../switch/limits.ts';

const THRESHOLD = limits.payee.closeMatchSimilarityMin;

test('normalisation: case, accents, letters that do not decompose, punctuation, titles, token order', () => {
  assert.deepEqual(nameTokens('Dr. MÜLLER-Lüdenscheidt, Anna'), ['anna', 'ludenscheidt', 'muller']);
  assert.deepEqual(nameTokens('Łukasz Wałęsa'), ['lukasz', 'walesa']);
  assert.deepEqual(nameTokens('Straße Ørsted Æbelø'), ['aebelo', 'orsted', 'strasse']);
  assert.deepEqual(nameTokens("O'Brien S.A.R.L."), ['obrien', 'sarl']);
  assert.deepEqual(nameTokens('  Mr  '), []);
});

const CASES: ReadonlyArray<readonly [string, string, 'MTCH' | 'CMTC' | 'NMTC']> = [
  ['Anna Müller', 'MÜLLER, anna', 'MTCH'],
  ['Dr. Anna Müller', 'Anna Muller', 'MTCH'],
  ['Łukasz Wałęsa', 'Lukasz Walesa', 'MTCH'],
  ['ACME S.A.R.L.', 'Acme SARL', 'MTCH'],
  ['Mueller Ana', 'Anna Müller', 'CMTC'],
  ['Anne Miller', 'Anna Müller', 'CMTC'],
  ['A. Müller', 'Anna Müller', 'CMTC'],
  ['Jon Smith', 'John Smith', 'CMTC'],
  ['Acme GmbH', 'ACME', 'CMTC'],
  ['Anna', 'Anna Müller', 'NMTC'],
  ['Max Mustermann', 'Erika Mustermann', 'NMTC'],
  ['Peter Smith', 'Paul Smith', 'NMTC'],
  ['John Smith', 'Anna Müller', 'NMTC'],
  ['', 'Anna Müller', 'NMTC'],
  ['GmbH', 'AG', 'NMTC'],
];

test('compareNames: match, close match, no match', () => {
  for (const [asked, onAccount, expected] of CASES) {
    const got = compareNames(asked, onAccount, THRESHOLD);
    assert.equal(got.result, expected, `${asked} / ${onAccount}: ${JSON.stringify(got)}`);
    assert.equal(compareNames(onAccount, asked, THRESHOLD).result, expected, `symmetric: ${onAccount} / ${asked}`);
    if (expected === 'MTCH') assert.equal(got.similarity, 1);
  }
});

test('the threshold decides between close match and no match', () => {
  const { similarity } = compareNames('Anne Miller', 'Anna Müller', THRESHOLD);
  assert.ok(similarity > 0.85 && similarity < 0.95, String(similarity));
  assert.equal(compareNames('Anne Miller', 'Anna Müller', similarity - 0.001).result, 'CMTC');
  assert.equal(compareNames('Anne Miller', 'Anna Müller', similarity + 0.001).result, 'NMTC');
});

test('Jaro-Winkler: known values', () => {
  assert.equal(jaroWinkler('martha', 'martha'), 1);
  assert.equal(Math.round(jaroWinkler('martha', 'marhta') * 1000) / 1000, 0.961);
  assert.equal(Math.round(jaroWinkler('dwayne', 'duane') * 1000) / 1000, 0.84);
  assert.equal(jaroWinkler('abc', 'xyz'), 0);
});

test('directory file: CSV with quotes and CRLF, IBANs in electronic form; JSON', () => {
  const csv = parseDirectoryFile('\uFEFFaccount,name\r\nDE89 3704 0044 0532 0130 00,"Müller, Anna"\r\n\r\nACC-001,"Say ""hi"" GmbH"\r\n', 'csv');
  assert.deepEqual(csv, { ok: true, entries: [{ account: 'DE89370400440532013000', name: 'Müller, Anna' }, { account: 'ACC-001', name: 'Say "hi" GmbH' }] });
  const json = parseDirectoryFile(JSON.stringify([{ account: 'nl91abna0417164300', name: 'Jan' }]), 'json');
  assert.deepEqual(json, { ok: true, entries: [{ account: 'NL91ABNA0417164300', name: 'Jan' }] });
});

test('directory file: every defect refused whole with its line', () => {
  const refused: ReadonlyArray<readonly [string, 'csv' | 'json', number, RegExp]> = [
    ['acct,name\nX,Y\n', 'csv', 1, /header/],
    ['account,name\nDE89370400440532013001,Anna\n', 'csv', 2, /not a valid IBAN/],
    ['account,name\nACC 1,Anna\n', 'csv', 2, /without spaces/],
    ['account,name\nACC1,\n', 'csv', 2, /name must be/],
    [`account,name\nACC1,${'x'.repeat(141)}\n`, 'csv', 2, /name must be/],
    ['account,name\nACC1,Anna,extra\n', 'csv', 2, /3 fields/],
    ['account,name\nACC1,"Anna\n', 'csv', 2, /not closed/],
    ['account,name\nACC1,An"na\n', 'csv', 2, /quote inside/],
    ['account,name\nACC1,Anna\nACC2,Bob\nACC1,Carl\n', 'csv', 4, /already on line 2/],
    // A quoted line break is CSV, but not a name.
    ['account,name\nACC1,"multi\nline"\nACC2,Bob\n', 'csv', 2, /printable/],
    ['account,name\nACC1,"multi, quoted"\nACC2,"Bob"\nACC1,Carl\n', 'csv', 4, /already on line 2/],
    ['{"account":"A"}', 'json', 1, /array/],
    ['[{"account":"A","name":"B","extra":1}]', 'json', 1, /entry 1/],
    ['[{"account":"A","name":"B"},{"account":7,"name":"C"}]', 'json', 2, /entry 2/],
    ['[not json', 'json', 1, /not JSON/],
  ];
  for (const [text, format, line, reason] of refused) {
    const parsed = parseDirectoryFile(text, format);
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) {
      assert.equal(parsed.line, line, `${JSON.stringify(text)}: ${parsed.reason}`);
      assert.match(parsed.reason, reason);
    }
  }
});
