/**
 * Property: for any pacs.008 the scheme accepts (random ids within the ISO text lengths, random
 * amounts with two decimals, 1..50 transactions), parseXml(build(m)) deep-equals m, and every
 * generated document is valid against the official schema (checked in one xmllint call at the end).
 * A failure prints the fast-check seed and path; replay with FC_SEED=<seed>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAmount } from '../../switch/iso/amount.ts';
import type { Account, Party } from '../../switch/iso/messages/common.ts';
import { build, module, parseXml, type CreditTransferTransaction, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { officialSchemaErrors, officialSchemaMissing, type NamedDocument } from './official-xsd.ts';
import { BIC, IBAN } from './payment-samples.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

const RUNS = 60;
/** fast-check records default to null prototypes, which deepStrictEqual tells apart from parsed objects. */
const plain = { noNullPrototype: true } as const;

/** Characters of the SWIFT set plus the five XML specials, so escaping is exercised. */
const characters = [...'ABCXYZabcxyz0179/-?:().,\'+&<>"'];
const character = fc.constantFrom(...characters);

/** An ISO MaxNText without leading or trailing blanks (the parser trims those). */
function isoText(maxLength: number, withSpaces = false): fc.Arbitrary<string> {
  const unit = withSpaces ? fc.oneof({ weight: 6, arbitrary: character }, { weight: 1, arbitrary: fc.constant(' ') }) : character;
  return fc
    .string({ unit, minLength: 1, maxLength })
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

const bic = fc.constantFrom(...Object.values(BIC));
const minorUnits = fc.bigInt({ min: 1n, max: 99_999_999_999n });
const uetr = fc.uuid({ version: 4 });

const account: fc.Arbitrary<Account> = fc.oneof(
  fc.constantFrom(...Object.values(IBAN)).map((iban) => ({ iban })),
  fc.record({ id: isoText(34), issuer: fc.option(isoText(35), { nil: undefined }) }, { noNullPrototype: true }).map(({ id, issuer }) =>
    issuer === undefined ? { other: { id } } : { other: { id, issuer } },
  ),
);

const party: fc.Arbitrary<Party> = fc.record(
  {
    name: isoText(140, true),
    postalAddress: fc.record({ townName: isoText(35, true), country: fc.constantFrom('DE', 'FR', 'NL', 'GB') }, plain),
    countryOfResidence: fc.constantFrom('DE', 'FR', 'NL'),
  },
  { requiredKeys: ['name'], noNullPrototype: true },
);

function transaction(minor: bigint): fc.Arbitrary<CreditTransferTransaction> {
  return fc.record(
    {
      paymentIdentification: fc.record(
        { instructionId: isoText(35), endToEndId: isoText(35), transactionId: isoText(35), uetr },
        { requiredKeys: ['endToEndId', 'transactionId'], noNullPrototype: true },
      ),
      interbankSettlementAmount: fc.constant({ currency: 'EUR', value: formatAmount(minor, 'EUR') }),
      chargeBearer: fc.constant('SLEV'),
      debtor: party,
      debtorAccount: account,
      debtorAgent: bic,
      creditorAgent: bic,
      creditor: party,
      creditorAccount: account,
      remittance: fc.oneof(
        fc.array(isoText(140, true), { minLength: 1, maxLength: 3 }).map((unstructured) => ({ unstructured })),
        isoText(35).map((reference) => ({ structured: [{ creditorReference: { type: { code: 'SCOR' }, reference } }] })),
      ),
    },
    { requiredKeys: ['paymentIdentification', 'interbankSettlementAmount', 'chargeBearer', 'debtor', 'debtorAgent', 'creditorAgent', 'creditor'], noNullPrototype: true },
  );
}

const pacs008: fc.Arbitrary<Pacs008> = fc.array(minorUnits, { minLength: 1, maxLength: 50 }).chain((amounts) => {
  const total = formatAmount(amounts.reduce((sum, amount) => sum + amount, 0n), 'EUR');
  return fc.record({
    groupHeader: fc.record({
      messageId: isoText(35),
      creationDateTime: fc.constant('2024-05-13T10:15:00Z'),
      numberOfTransactions: fc.constant(String(amounts.length)),
      controlSum: fc.constant(total),
      totalInterbankSettlementAmount: fc.constant({ currency: 'EUR', value: total }),
      interbankSettlementDate: fc.constant('2024-05-13'),
      settlementInformation: fc.constant({ method: 'CLRG' }),
      instructingAgent: bic,
      instructedAgent: fc.constant(BIC.switch),
    }, plain),
    transactions: fc.tuple(...amounts.map(transaction)),
  }, plain);
});

test('pacs.008 property: round trip is exact and every generated document is schema-valid', async (t) => {
  const documents: NamedDocument[] = [];
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  fc.assert(
    fc.property(pacs008, (message) => {
      const xml = build(message);
      assert.deepStrictEqual(parseXml(xml), message);
      assert.equal(module.facts(message).transactions.length, message.transactions.length);
      documents.push({ name: `generated-${documents.length}`, xml });
    }),
    { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) },
  );

  if (requireOrSkip(t, officialSchemaMissing(module.id))) return;
  assert.deepStrictEqual(await officialSchemaErrors(module.id, documents), []);
});
