/**
 * camt.060 asking for a camt.053 (issue 13): the statement of a closed business day is sent again to
 * the requester — the same statement as at the close (balances, summary, entries, Stmt/Id and CreDtTm),
 * marked CpyDplctInd DUPL under a new MsgId, valid against the scheme XSD and the official one — for
 * its own account only (another bank's account: AG08); a day not closed yet (today, a later day) is
 * refused DT01, a day without a statement (no cycle ran on it) TD01, a request without its day CH21,
 * each judged from the answer the switch emitted to the requester. On PGlite and PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildCamt060, type ReportingRequest } from '../../switch/iso/messages/camt.060.001.05/index.ts';
import { parseXml as parseCamt053 } from '../../switch/iso/messages/camt.053.001.08/index.ts';
import { officialSchemaErrors, officialSchemaMissing } from '../iso/official-xsd.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { backends, BANKS, harness, schemeConfig, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const A = BANKS[0];
const B = BANKS[1];
let seed = 0;

function statementRequest(from: string | undefined, extra: Partial<ReportingRequest> = {}): Uint8Array {
  seed++;
  return encoder.encode(buildCamt060({
    groupHeader: { messageId: `${A.slice(0, 8)}-SQ-${seed}`, creationDateTime: '2026-11-26T10:00:00Z' },
    requests: [{
      requestedMessageNameId: 'camt.053.001.08', accountOwner: { agent: A }, requestedBalanceTypes: [],
      ...(from === undefined ? {} : { period: { dates: { from }, type: 'ALLL' } }), ...extra,
    }],
  }));
}

function files(h: Harness, bic: string, prefix?: string): string[] {
  return h.mailboxes.outbound(bic).filter((f) => prefix === undefined || f.startsWith(prefix)).sort();
}

/** Submits the request and returns what the switch emitted to A because of it (dispatched to its mailbox). */
async function ask(h: Harness, bytes: Uint8Array): Promise<{ status: string; emitted: { name: string; xml: string }[] }> {
  const before = new Set(files(h, A));
  const result = await h.engine.submit({ bytes, sender: A });
  await h.dispatch();
  const emitted = files(h, A).filter((f) => !before.has(f)).map((name) => ({ name, xml: h.mailboxes.read(A, 'outbound', name).toString('utf8') }));
  return { status: result.status, emitted };
}

/** A refusal: one answer (no statement) carrying the ISO code and the text. */
function assertRefused(answer: { status: string; emitted: { name: string; xml: string }[] }, code: string, text: RegExp): void {
  assert.equal(answer.status, 'RJCT');
  assert.equal(answer.emitted.length, 1, `one answer: ${answer.emitted.map((e) => e.name).join(', ')}`);
  const [only] = answer.emitted;
  assert.ok(only!.name.startsWith('pacs.002'), `the status report, not a statement: ${only!.name}`);
  assert.match(only!.xml, />RJCT</);
  assert.match(only!.xml, new RegExp(`>${code}<`), `${code} in ${only!.name}`);
  assert.match(only!.xml, text);
}

async function send(h: Harness, senderIndex: number, n: number, receivers: number[]): Promise<void> {
  const sender = DEMO_BANKS[senderIndex]!;
  const model = bulkCreditTransfer({
    seed: n, sender, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: 6, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-M${n}`,
  });
  assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: sender.bic })).status, 'ACCP');
}

for (const backend of backends) {
  describe(`camt.060 answered with a camt.053 on ${backend}`, () => {
    it('re-sends the closed day\'s statement marked DUPL; refuses a day not closed, an unknown day, another bank\'s account', async (t) => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        await send(h, 0, 61, [1, 2]);
        await send(h, 1, 62, [0]);
        await h.closeAndSettle();

        // Today, not closed yet (its cycles settled, but the day has not rolled), and a later day.
        assertRefused(await ask(h, statementRequest('2026-11-26')), 'DT01', /business day 2026-11-26 is not closed yet/);
        assertRefused(await ask(h, statementRequest('2026-12-01')), 'DT01', /business day 2026-12-01 is not closed yet/);

        h.clock.set('2026-11-27T00:00:01Z');
        await h.closeAndSettle();
        await h.dispatch();
        const originals = files(h, A, 'camt.053');
        assert.equal(originals.length, 1, 'the statement sent at the close');
        const original = parseCamt053(h.mailboxes.read(A, 'outbound', originals[0]!).toString('utf8'));
        const bBefore = files(h, B, 'camt.053').length;

        const answered = await ask(h, statementRequest('2026-11-26', { account: { other: `${A}-EUR-SETTLEMENT` } }));
        assert.equal(answered.status, 'ACCP');
        const copies = answered.emitted.filter((e) => e.name.startsWith('camt.053'));
        assert.equal(copies.length, 1, `one statement: ${answered.emitted.map((e) => e.name).join(', ')}`);
        const copyXml = copies[0]!.xml;
        assert.deepEqual(await xsd.validateOne('camt.053.001.08', encoder.encode(copyXml)), [], 'scheme XSD');
        if (!requireOrSkip(t, officialSchemaMissing('camt.053.001.08'))) {
          assert.deepEqual(await officialSchemaErrors('camt.053.001.08', [{ name: `${backend}-copy`, xml: copyXml }]), []);
        }
        const copy = parseCamt053(copyXml);
        assert.notEqual(copy.groupHeader.messageId, original.groupHeader.messageId, 'a new message');
        assert.deepEqual(copy.groupHeader.recipient, { anyBic: A });
        assert.deepEqual(copy.groupHeader.pagination, { pageNumber: '1', lastPage: true });
        assert.equal(copy.statements[0]!.copyDuplicate, 'DUPL');
        assert.equal(original.statements[0]!.copyDuplicate, undefined, 'the original is no copy');
        assert.ok(original.statements[0]!.entries.length > 0);
        assert.deepEqual({ ...copy.statements[0]!, copyDuplicate: undefined }, { ...original.statements[0]!, copyDuplicate: undefined },
          'the same statement: id, creation (the close), balances, summary and entries');
        assert.equal(files(h, B, 'camt.053').length, bBefore, 'nothing to anyone else');

        // Another bank's account: refused, nothing sent.
        assertRefused(await ask(h, statementRequest('2026-11-26', { account: { other: `${B}-EUR-SETTLEMENT` } })),
          'AG08', /account BANKFRPPXXX-EUR-SETTLEMENT is not one of BANKDEFFXXX/);
        // No cycle ran on these days: no statement.
        assertRefused(await ask(h, statementRequest('2026-11-22')), 'TD01', /2026-11-22 is not a business day of the switch/);
        assertRefused(await ask(h, statementRequest('2026-11-25')), 'TD01', /2026-11-25 is not a business day of the switch/);
        // Which day is missing; a range of days.
        assertRefused(await ask(h, statementRequest(undefined)), 'CH21', /names the closed business day in RptgPrd\/FrToDt\/FrDt/);
        assertRefused(await ask(h, statementRequest('2026-11-26', { period: { dates: { from: '2026-11-26', to: '2026-11-27' }, type: 'ALLL' } })),
          'DT01', /names one business day/);
        assert.equal(files(h, A, 'camt.053').length, 2, 'the original and the one copy');
      } finally {
        await h.close();
      }
    });
  });
}
