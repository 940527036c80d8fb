/**
 * The risk stage's one name normaliser (switch/risk/names.ts) and its two callers: screening
 * (`normaliseName`, the list index and the screener) and payee verification (`payeeNameTokens`,
 * compareNames). The expected values below were taken from the two separate normalisers before they
 * became one module (screening/normalise.ts and payee-match.ts at a8dfa7c): each caller keeps its
 * results. The one deliberate difference is pinned too: payee verification now transliterates other
 * scripts and treats the backtick as an apostrophe, as screening always did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldName, nameWords, normaliseName, payeeNameTokens } from '../../switch/risk/names.ts';
import { compareNames, nameTokens } from '../../switch/risk/payee-match.ts';
import { limits } from '../../switch/limits.ts';

/** Screening: every normalised form of each name (tokens joined), as before the merge. */
const SCREENING: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["Dr. MÜLLER-Lüdenscheidt, Anna", ["ANNA LUDENSCHEIDT MULLER", "ANNA MULLERLUDENSCHEIDT"]],
  ["Łukasz Wałęsa", ["LUKASZ WALESA"]],
  ["Straße Ørsted Æbelø", ["AEBELO ORSTED STRASSE"]],
  ["O'Brien S.A.R.L.", ["A L OBRIEN R S"]],
  ["  Mr  ", ["MR"]],
  ["ACME Trading Ltd.", ["ACME TRADING"]],
  ["Acme Trading Limited", ["ACME TRADING"]],
  ["AL-QAIDA", ["AL QAIDA", "ALQAIDA"]],
  ["Smith, John", ["JOHN SMITH"]],
  ["Émilie Durand", ["DURAND EMILIE"]],
  ["José María Aznar-López", ["AZNAR JOSE LOPEZ MARIA", "AZNARLOPEZ JOSE MARIA"]],
  ["Søren Kierkegaard", ["KIERKEGAARD SOREN"]],
  ["Œuvre Þór Ðuro", ["DURO OEUVRE THOR"]],
  ["The Bank of Nowhere PLC", ["BANK NOWHERE"]],
  ["Ahmed Abd al-Rahman", ["ABD AHMED AL RAHMAN", "ABD AHMED ALRAHMAN"]],
  ["Jean‑Pierre D’Arcy", ["DARCY JEAN PIERRE", "DARCY JEANPIERRE"]],
  ["ﬁnance ＡＢＣ", ["ABC FINANCE"]],
  ["12 Monkeys GmbH & Co. KG", ["12 MONKEYS"]],
  ["Ms. Anne-Marie O`Neil", ["ANNE MARIE ONEIL", "ANNEMARIE ONEIL"]],
  ["---", []],
  ["İstanbul Çay Evi", ["CAY EVI ISTANBUL"]],
  ["Nguyễn Văn Anh", ["ANH NGUYEN VAN"]],
];

/** Payee verification: the tokens of each name, as before the merge. */
const PAYEE: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["Dr. MÜLLER-Lüdenscheidt, Anna", ["anna", "ludenscheidt", "muller"]],
  ["Łukasz Wałęsa", ["lukasz", "walesa"]],
  ["Straße Ørsted Æbelø", ["aebelo", "orsted", "strasse"]],
  ["O'Brien S.A.R.L.", ["obrien", "sarl"]],
  ["  Mr  ", []],
  ["ACME Trading Ltd.", ["acme", "ltd", "trading"]],
  ["Acme Trading Limited", ["acme", "limited", "trading"]],
  ["AL-QAIDA", ["al", "qaida"]],
  ["Smith, John", ["john", "smith"]],
  ["Émilie Durand", ["durand", "emilie"]],
  ["José María Aznar-López", ["aznar", "jose", "lopez", "maria"]],
  ["Søren Kierkegaard", ["kierkegaard", "soren"]],
  ["Œuvre Þór Ðuro", ["duro", "oeuvre", "thor"]],
  ["The Bank of Nowhere PLC", ["bank", "nowhere", "of", "plc", "the"]],
  ["Ahmed Abd al-Rahman", ["abd", "ahmed", "al", "rahman"]],
  ["Jean‑Pierre D’Arcy", ["darcy", "jean", "pierre"]],
  ["ﬁnance ＡＢＣ", ["abc", "finance"]],
  ["12 Monkeys GmbH & Co. KG", ["12", "co", "gmbh", "kg", "monkeys"]],
  ["---", []],
  ["İstanbul Çay Evi", ["cay", "evi", "istanbul"]],
  ["Nguyễn Văn Anh", ["anh", "nguyen", "van"]],
];

/** Payee verification: result and similarity of each pair, as before the merge. */
const COMPARED: ReadonlyArray<readonly [string, string, string, number]> = [
  ["Anna Müller", "MÜLLER, anna", "MTCH", 1],
  ["Mueller Ana", "Anna Müller", "CMTC", 0.925],
  ["Anne Miller", "Anna Müller", "CMTC", 0.892],
  ["A. Müller", "Anna Müller", "CMTC", 0.95],
  ["Jon Smith", "John Smith", "CMTC", 0.967],
  ["Acme GmbH", "ACME", "CMTC", 1],
  ["Peter Smith", "Paul Smith", "NMTC", 0.768],
  ["emilie DURAND", "Émilie Durand", "MTCH", 1],
  ["Jose Maria Aznar Lopez", "José María Aznar-López", "MTCH", 1],
  ["Soren Kierkegaard", "Søren Kierkegaard", "MTCH", 1],
  ["Jean-Pierre Darcy", "Jean‑Pierre D’Arcy", "MTCH", 1],
  ["Nguyen Van Anh", "Nguyễn Văn Anh", "MTCH", 1],
  ["Istanbul Cay Evi", "İstanbul Çay Evi", "MTCH", 1],
  ["Max Mustermann", "Jonas Schmidt", "NMTC", 0.233],
];

test('screening keeps its normalised forms (hyphen variants, noise words dropped, upper case, sorted)', () => {
  for (const [name, forms] of SCREENING) assert.deepEqual(normaliseName(name).map((f) => f.tokens.join(' ')), forms, name);
});

test('payee verification keeps its tokens and its match results', () => {
  for (const [name, tokens] of PAYEE) {
    assert.deepEqual(payeeNameTokens(name), tokens, name);
    assert.deepEqual(nameTokens(name), tokens, `payee-match.ts: ${name}`);
  }
  for (const [asked, onAccount, result, similarity] of COMPARED) {
    assert.deepEqual(compareNames(asked, onAccount, limits.payee.closeMatchSimilarityMin), { result, similarity }, `${asked} / ${onAccount}`);
  }
});

test('one fold for both: the same letters, scripts and quotes; each caller its own word rules', () => {
  assert.equal(foldName('Dr. Müller-Łęcka ﬁ ＡＢＣ O’Neil'), 'DR. MULLER-LECKA FI ABC ONEIL');
  assert.deepEqual(nameWords('DR. MULLER-LECKA'), ['DR', 'MULLER', 'LECKA']);
  // Dots: payee joins them (S.A.R.L. = SARL), screening separates them.
  assert.deepEqual(payeeNameTokens('ACME S.A.R.L.'), ['acme', 'sarl']);
  assert.deepEqual(normaliseName('ACME S.A.R.L.').map((f) => f.tokens.join(' ')), ['A ACME L R S']);
  // The deliberate change: payee verification transliterates, as screening does.
  assert.deepEqual(payeeNameTokens('Владимир Петров'), ['petrov', 'vladimir']);
  assert.equal(compareNames('Vladimir Petrov', 'Владимир Петров', limits.payee.closeMatchSimilarityMin).result, 'MTCH');
  assert.deepEqual(normaliseName('Владимир Петров').map((f) => f.tokens.join(' ')), ['PETROV VLADIMIR']);
  assert.deepEqual(payeeNameTokens('Ms. Anne-Marie O`Neil'), ['anne', 'marie', 'oneil']);
});
