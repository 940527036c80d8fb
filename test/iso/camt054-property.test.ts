/**
 * Property: for any camt.054 within the scheme subset (random notifications and entries: amounts as
 * free decimal text, booking/value dates or date-times, batch details, names with XML specials),
 * parseXml(build(m)) deep-equals m, and every generated document is valid against the official schema
 * (checked in one xmllint call at the end). A failure prints the fast-check seed; replay with FC_SEED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAmount } from '../../switch/iso/amount.ts';
import { BIC_PATTERN } from '../../switch/iso/bic.ts';
import {
  build, module, parseXml,
  type AccountId, type Amount, type BankTransactionCode, type Camt054, type DateOrDateTime, type Entry,
  type RelatedParty, type TransactionDetails,
} from '../../switch/iso/messages/camt.054.001.08/index.ts';
import { officialSchemaErrors, officialSchemaMissing, type NamedDocument } from './official-xsd.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

const RUNS = 80;
const seed = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
/** fast-check records default to null prototypes, which deepStrictEqual tells apart from parsed objects. */
const plain = { noNullPrototype: true } as const;

/** Letters, digits, separators and the five XML specials, so escaping is exercised. */
const character = fc.constantFrom(...'ABCXYZabcxyzÄöß0179/-?:().,\'+&<>" ');

/** An ISO MaxNText without leading or trailing blanks (the parser trims those). */
function isoText(maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: character, minLength: 1, maxLength })
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

const bic = fc.stringMatching(BIC_PATTERN);
const iban = fc.stringMatching(/^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/);
const accountId: fc.Arbitrary<AccountId> = fc.oneof(iban.map((value) => ({ iban: value })), isoText(34).map((other) => ({ other })));
const uetr = fc.uuid({ version: 4 });

/** Either an amount formatted at the currency's exponent or free decimal text (up to 5 decimals). */
const amount: fc.Arbitrary<Amount> = fc.oneof(
  fc.tuple(fc.constantFrom('EUR', 'USD', 'GBP', 'JPY', 'BHD'), fc.bigInt({ min: 0n, max: 10n ** 15n }))
    .map(([currency, minor]) => ({ currency, value: formatAmount(minor, currency) })),
  fc.tuple(fc.constantFrom('EUR', 'CHF'), digits(1, 13), fc.option(digits(1, 5), { nil: undefined }))
    .map(([currency, whole, fraction]) => ({ currency, value: fraction === undefined ? whole : `${whole}.${fraction}` })),
);
const decimalText = fc.tuple(digits(1, 12), fc.option(digits(1, 5), { nil: undefined }))
  .map(([whole, fraction]) => (fraction === undefined ? whole : `${whole}.${fraction}`));

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const date = fc.record({ year: fc.integer({ min: 2000, max: 2099 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 28 }) }, plain)
  .map(({ year, month, day }) => `${year}-${pad(month)}-${pad(day)}`);
const dateTime = fc.tuple(date, fc.integer({ min: 0, max: 86_399 }), fc.constantFrom('', 'Z', '+01:00', '-05:30', '.125Z'))
  .map(([day, seconds, suffix]) => `${day}T${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}${suffix}`);
const dateOrDateTime: fc.Arbitrary<DateOrDateTime> = fc.oneof(date.map((d) => ({ date: d })), dateTime.map((d) => ({ dateTime: d })));
const creditDebit = fc.constantFrom('CRDT' as const, 'DBIT' as const);

const bankTransactionCode: fc.Arbitrary<BankTransactionCode> = fc.record({
  domain: fc.record({
    code: fc.constant('PMNT'),
    family: fc.constantFrom('ICDT', 'RCDT', 'IRCT'),
    subFamily: fc.constantFrom('ESCT', 'DMCT', 'RRTN', 'OTHR'),
  }, plain),
  proprietary: fc.record({ code: isoText(35), issuer: isoText(35) }, { requiredKeys: ['code'], ...plain }),
}, { requiredKeys: [], ...plain });

/** Party40Choice, both branches: an agent by BIC, or a party with a name, an AnyBIC, both or neither. */
const relatedParty: fc.Arbitrary<RelatedParty> = fc.oneof(
  bic.map((agent) => ({ agent })),
  fc.record({ name: isoText(140), anyBic: bic }, { requiredKeys: [], ...plain }),
);

const transactionDetails: fc.Arbitrary<TransactionDetails> = fc.record({
  references: fc.record({
    messageId: isoText(35),
    accountServicerReference: isoText(35),
    instructionId: isoText(35),
    endToEndId: isoText(35),
    transactionId: isoText(35),
    uetr,
  }, { requiredKeys: [], ...plain }),
  amount,
  creditDebit,
  debtor: relatedParty,
  debtorAccount: accountId,
  ultimateDebtor: relatedParty,
  creditor: relatedParty,
  creditorAccount: accountId,
  ultimateCreditor: relatedParty,
  debtorAgent: bic,
  creditorAgent: bic,
  remittanceInformation: fc.array(isoText(140), { maxLength: 3 }),
}, { requiredKeys: ['remittanceInformation'], ...plain });

const entry: fc.Arbitrary<Entry> = fc.record({
  reference: isoText(35),
  amount,
  creditDebit,
  status: fc.oneof(fc.constantFrom('BOOK', 'PDNG', 'INFO').map((code) => ({ code })), isoText(35).map((proprietary) => ({ proprietary }))),
  bookingDate: dateOrDateTime,
  valueDate: dateOrDateTime,
  accountServicerReference: isoText(35),
  bankTransactionCode,
  details: fc.array(fc.record({ transactions: fc.array(transactionDetails, { maxLength: 3 }) }, plain), { maxLength: 2 }),
}, { requiredKeys: ['amount', 'creditDebit', 'status', 'bankTransactionCode', 'details'], ...plain });

const totals = fc.record({ count: digits(1, 15), sum: decimalText }, { requiredKeys: [], ...plain });

const camt054: fc.Arbitrary<Camt054> = fc.record({
  groupHeader: fc.record({
    messageId: isoText(35),
    creationDateTime: dateTime,
    recipient: fc.record({ name: isoText(140), anyBic: bic }, { requiredKeys: [], ...plain }),
    pagination: fc.record({ pageNumber: digits(1, 5), lastPage: fc.boolean() }, plain),
  }, { requiredKeys: ['messageId', 'creationDateTime'], ...plain }),
  notifications: fc.array(fc.record({
    id: isoText(35),
    electronicSequenceNumber: digits(1, 18),
    creationDateTime: dateTime,
    period: fc.record({ from: dateTime, to: dateTime }, plain),
    account: fc.record({
      id: accountId,
      currency: fc.constantFrom('EUR', 'USD', 'JPY'),
      name: isoText(70),
      ownerName: isoText(140),
      servicer: bic,
    }, { requiredKeys: ['id'], ...plain }),
    summary: fc.record({
      total: fc.record({
        count: digits(1, 15),
        sum: decimalText,
        net: fc.record({ amount: decimalText, creditDebit }, plain),
      }, { requiredKeys: [], ...plain }),
      credits: totals,
      debits: totals,
    }, { requiredKeys: [], ...plain }),
    entries: fc.array(entry, { maxLength: 5 }),
  }, { requiredKeys: ['id', 'account', 'entries'], ...plain }), { minLength: 1, maxLength: 3 }),
}, plain);

test('camt.054: parseXml(build(m)) deep-equals m for random notifications, and every build is schema-valid', async (t) => {
  const documents: NamedDocument[] = [];
  fc.assert(
    fc.property(camt054, (message) => {
      const xml = build(message);
      documents.push({ name: `random-${documents.length}`, xml });
      assert.deepStrictEqual(parseXml(xml), message);
      // facts never lose an entry, whatever the shape
      const entries = message.notifications.reduce((count, n) => count + n.entries.length, 0);
      assert.equal(module.facts(message).transactions.length, entries);
    }),
    { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) },
  );
  if (requireOrSkip(t, officialSchemaMissing(module.id))) return;
  assert.deepStrictEqual(await officialSchemaErrors(module.id, documents), []);
});
