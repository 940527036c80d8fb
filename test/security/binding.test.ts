/**
 * Every message is bound to the bank that sent it (docs/security.md, docs/scheme-rules.md "Who may
 * send what"). An attacker holds one participant's valid key (it is the authenticated sender) and
 * takes valid messages of every kind the switch accepts from other banks — a batch and an instant
 * pacs.008, a return, a recall, a status request, an answer to a forwarded real-time payment and a
 * settlement answer — and puts other banks' BICs into each party field: other participants, the
 * switch, the settlement agent, a suspended participant, a bank outside the scheme, BIC8/BIC11 forms
 * and lower case. The switch is judged from the outside: the answer it sends the attacker accepts
 * exactly what the attacker may do for itself, and nothing another bank owns moves — its positions and
 * reservations, its payments, its idempotency keys, the settlement instructions, the messages it
 * receives.
 *
 * Seeded: a failure prints the fast-check seed and path; replay with FC_SEED=<seed>.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkConfig, type SchemeConfig } from '../../switch/config.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, type Bank } from '../../switch/demo/generate.ts';
import { buildBusinessMessage } from '../../switch/iso/envelope.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs004 } from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import { build as buildPacs028 } from '../../switch/iso/messages/pacs.028.001.03/index.ts';
import { build as buildCamt056 } from '../../switch/iso/messages/camt.056.001.08/index.ts';
import { build as buildPacs002, parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parseAdmi002 } from '../../switch/iso/messages/admi.002.001.01/index.ts';
import { parseXml as parsePacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { AGENT, harness, SWITCH, type Harness } from '../engine/support.ts';

const RUNS = 150;
const seed = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const parameters = { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The attacker, configured as a BIC11; its BIC8 form names it too. */
const ATTACKER = 'BANKBEBBXXX';
const VICTIM = 'BANKDEFFXXX';
const THIRD = 'BANKFRPPXXX';
/** A participant configured by its BIC8. */
const SHORT = 'BANKNL2A';
const SUSPENDED = 'BANKITMMXXX';
const OUTSIDER = 'BANKESMMXXX';

const bank = (bic: string, country: Bank['country']): Bank => ({ bic, name: bic, country });
const VICTIM_BANK = bank(VICTIM, 'DE');
const THIRD_BANK = bank(THIRD, 'FR');
const ATTACKER_BANK = bank(ATTACKER, 'BE');

export function bindingScheme(): SchemeConfig {
  return checkConfig({
    name: 'binding test scheme', currencies: ['EUR'], switchBic: SWITCH,
    settlementAgent: { bic: AGENT, name: 'Central bank', settlementAccount: 'DE-RTGS-CLHS-0001' },
    services: [{ messageType: 'pacs.008', mode: 'batch' },
      { messageType: 'pacs.008', mode: 'realtime', receiverConfirmation: true, confirmationTimeoutMs: 20_000, overCap: 'reject' }],
    participants: [
      { bic: VICTIM, name: 'Victim', status: 'active', currencies: ['EUR'], netDebitCap: { EUR: '10000000.00' } },
      { bic: THIRD, name: 'Third', status: 'active', currencies: ['EUR'], netDebitCap: { EUR: '10000000.00' } },
      { bic: ATTACKER, name: 'Attacker', status: 'active', currencies: ['EUR'], netDebitCap: { EUR: '10000000.00' } },
      { bic: SHORT, name: 'Short BIC', status: 'active', currencies: ['EUR'], netDebitCap: { EUR: '10000000.00' } },
      { bic: SUSPENDED, name: 'Suspended', status: 'suspended', currencies: ['EUR'], netDebitCap: { EUR: '10000000.00' } },
    ],
  });
}

/** What the attacker may write for itself. */
const OWN = new Set([ATTACKER, 'BANKBEBB']);
/** Active participants that may be paid (creditor agents), in either BIC form. */
const PAYABLE = new Set([...OWN, VICTIM, 'BANKDEFF', THIRD, 'BANKFRPP', SHORT, `${SHORT}XXX`]);
/** Every other BIC the generator puts into party fields. */
const FOREIGN = [VICTIM, 'BANKDEFF', THIRD, 'BANKFRPP', SHORT, `${SHORT}XXX`, SUSPENDED, OUTSIDER, SWITCH, SWITCH.slice(0, 8), AGENT,
  AGENT.slice(0, 8), ATTACKER.toLowerCase(), VICTIM.toLowerCase()];
/** The attacker's own forms weigh more, so that most messages are nearly its own and one field at a time tells. */
const party = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...[...OWN]) }, { weight: 2, arbitrary: fc.constantFrom(...FOREIGN) });
const optionalParty = fc.option(party, { nil: undefined, freq: 3 });
const lowerCase = (bic: string | undefined): boolean => bic !== undefined && bic !== bic.toUpperCase();

interface World {
  readonly h: Harness;
  /** The victim's settled batch payment to THIRD (returnable by THIRD, recallable by the victim). */
  readonly settled: Pacs008;
  /** The victim's real-time payment to THIRD, forwarded and waiting for THIRD's answer. */
  readonly instant: Pacs008;
  readonly forwardedMessageId: string;
  /** Settlement instructions sent and not answered. */
  readonly instructionIds: readonly string[];
}

async function submitAs(h: Harness, sender: string, xml: string) {
  return h.engine.submit({ bytes: encoder.encode(xml), sender });
}

function victimFile(seed: number, count: number, options: { localInstrument?: string; firstNumber?: number } = {}): Pacs008 {
  return bulkCreditTransfer({ seed, sender: VICTIM_BANK, receivers: [THIRD_BANK], transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-V${seed}`, maxAmountMinor: 100_000, ...options });
}

/**
 * The victim's business, going on while the attacker probes: a settled cycle, a cycle whose
 * settlement instructions wait for the agent, an open cycle with a batch payment, and a real-time
 * payment forwarded to THIRD and not yet answered.
 */
async function prepareWorld(h: Harness): Promise<World> {
  const settled = victimFile(1, 2);
  assert.equal((await submitAs(h, VICTIM, buildPacs008(settled))).status, 'ACCP');
  await h.closeAndSettle();
  assert.equal((await submitAs(h, VICTIM, buildPacs008(victimFile(2, 2)))).status, 'ACCP');
  await h.engine.closeCycle();
  await h.dispatch();
  const instructions = await h.engine.storeForTests().query<{ instruction_id: string }>("SELECT instruction_id FROM settlement_instructions WHERE state = 'SENT'");
  assert.ok(instructions.length > 0);
  assert.equal((await submitAs(h, VICTIM, buildPacs008(victimFile(3, 2)))).status, 'ACCP');
  const instant = victimFile(4, 1, { localInstrument: 'INST' });
  await submitAs(h, VICTIM, buildPacs008(instant));
  const [forwarded] = await h.engine.storeForTests().query<{ forwarded_message_id: string }>(
    "SELECT forwarded_message_id FROM payments WHERE mode = 'realtime' AND state = 'RESERVED'");
  assert.ok(forwarded, 'the victim\'s real-time payment waits for its creditor agent');
  return { h, settled, instant, forwardedMessageId: forwarded.forwarded_message_id, instructionIds: instructions.map((i) => i.instruction_id) };
}

/** What the books say about everything the attacker does not own. */
async function othersBooks(h: Harness): Promise<string> {
  const db = h.engine.storeForTests();
  const exposures = await db.query(`SELECT bic, currency, net_minor::text, reserved_minor::text, debits_minor::text FROM exposures WHERE bic <> $1 ORDER BY bic, currency`, [ATTACKER]);
  const payments = await db.query(`SELECT id::text, state, debtor_agent, creditor_agent, amount_minor::text, returned_minor::text, cycle_id::text
                                     FROM payments WHERE debtor_agent <> $1 ORDER BY id`, [ATTACKER]);
  const keys = await db.query(`SELECT kind, scope, key FROM idempotency_keys WHERE scope NOT IN ($1, '') ORDER BY kind, scope, key`, [ATTACKER]);
  const instructions = await db.query('SELECT instruction_id, state FROM settlement_instructions ORDER BY instruction_id');
  const cycles = await db.query('SELECT id::text, state, settlement_attempt FROM cycles ORDER BY id');
  const cases = await db.query('SELECT case_id, assigner, state FROM recall_cases ORDER BY id');
  const positions = await db.query('SELECT cycle_id::text, bic, currency, net_minor::text FROM cycle_positions WHERE bic <> $1 ORDER BY 1, 2, 3', [ATTACKER]);
  return JSON.stringify({ exposures, payments, keys, instructions, cycles, cases, positions });
}

interface Emitted { readonly recipient: string; readonly type: string; readonly xml: string }

async function emittedSince(h: Harness, afterId: bigint): Promise<Emitted[]> {
  const rows = await h.engine.storeForTests().query<{ participant: string; message_type: string; bytes: Uint8Array }>(
    "SELECT participant, message_type, bytes FROM messages WHERE direction = 'out' AND id > $1 ORDER BY id", [afterId]);
  return rows.map((r) => ({ recipient: r.participant, type: r.message_type, xml: decoder.decode(r.bytes) }));
}

async function lastMessageId(h: Harness): Promise<bigint> {
  const [row] = await h.engine.storeForTests().query<{ id: bigint | null }>('SELECT MAX(id) AS id FROM messages');
  return row?.id ?? 0n;
}

/** The TxIds the switch's answer (pacs.002 or admi.002) accepts, read from the answer alone. */
function acceptedByAnswer(answerXml: string | undefined, transactionIds: readonly string[]): Set<string> {
  assert.ok(answerXml !== undefined, 'a batch file is answered at once');
  if (answerXml.includes('admi.002')) {
    parseAdmi002(answerXml);
    return new Set();
  }
  const answer = parsePacs002(answerXml);
  const status = answer.originalGroups[0]!.groupStatus;
  if (status === 'RJCT') return new Set();
  if (status === 'ACTC') return new Set(transactionIds);
  assert.equal(status, 'PART');
  const rejected = new Set(answer.transactions.map((t) => t.originalTransactionId));
  return new Set(transactionIds.filter((id) => !rejected.has(id)));
}

function withHeader(documentXml: string, from: string | undefined, definition: string, id: string): string {
  if (from === undefined) return documentXml;
  return buildBusinessMessage({ from, to: SWITCH, businessMessageId: `BAH-${id}`, messageDefinitionId: definition,
    creationDate: '2026-11-26T10:00:00Z' }, documentXml);
}

// ---------------------------------------------------------------- generated attacks

const creditTransferAttack = (count: number) => fc.record({
  header: optionalParty,
  groupInstructing: optionalParty,
  transactions: fc.array(fc.record({ instructing: optionalParty, debtorAgent: party, creditorAgent: party }), { minLength: count, maxLength: count }),
});
const attack = fc.oneof(
  creditTransferAttack(3).map((a) => ({ kind: 'batch' as const, ...a })),
  creditTransferAttack(1).map((a) => ({ kind: 'instant' as const, ...a })),
  fc.record({ kind: fc.constant('return' as const), header: optionalParty, groupInstructing: party, instructing: optionalParty }),
  fc.record({ kind: fc.constant('recall' as const), header: optionalParty, assigner: party, creator: party }),
  fc.record({ kind: fc.constant('status' as const), header: optionalParty, groupInstructing: party, instructing: optionalParty }),
  fc.record({ kind: fc.constant('answer' as const), header: optionalParty, groupInstructing: optionalParty, instructing: optionalParty }),
  fc.record({ kind: fc.constant('settlement' as const), header: optionalParty, groupInstructing: optionalParty }),
);
type Attack = typeof attack extends fc.Arbitrary<infer T> ? T : never;

let run = 0;

/** Submit one generated attack as the attacker and check what the switch answers. */
async function probe(world: World, a: Attack): Promise<void> {
  const { h } = world;
  const n = ++run;
  const before = await othersBooks(h);
  const since = await lastMessageId(h);
  switch (a.kind) {
    case 'batch':
    case 'instant': {
      const template = a.kind === 'batch'
        ? bulkCreditTransfer({ seed: 1000 + n, sender: ATTACKER_BANK, receivers: [VICTIM_BANK], transactionCount: 3, settlementDate: '2026-11-26',
          createdAt: '2026-11-26T10:00:00Z', messageId: `ATT-${n}`, maxAmountMinor: 100_000 })
        : bulkCreditTransfer({ seed: 1000 + n, sender: ATTACKER_BANK, receivers: [VICTIM_BANK], transactionCount: 1, settlementDate: '2026-11-26',
          createdAt: '2026-11-26T10:00:00Z', messageId: `ATT-${n}`, maxAmountMinor: 100_000, localInstrument: 'INST' });
      const model: Pacs008 = {
        groupHeader: { ...template.groupHeader, instructingAgent: a.groupInstructing },
        transactions: template.transactions.map((t, i) => ({ ...t, debtorAgent: a.transactions[i]!.debtorAgent,
          creditorAgent: a.transactions[i]!.creditorAgent, ...(a.transactions[i]!.instructing ? { instructingAgent: a.transactions[i]!.instructing } : {}) })),
      };
      const ids = model.transactions.map((t) => t.paymentIdentification.transactionId!);
      const result = await submitAs(h, ATTACKER, withHeader(buildPacs008(model), a.header, 'pacs.008.001.08', `ATT-${n}`));
      const fileAllowed = (a.header === undefined || OWN.has(a.header)) && (a.groupInstructing === undefined || OWN.has(a.groupInstructing)) &&
        ![a.header, a.groupInstructing, ...a.transactions.flatMap((t) => [t.instructing, t.debtorAgent, t.creditorAgent])].some(lowerCase);
      const allowed = new Set(ids.filter((_, i) => {
        const t = a.transactions[i]!;
        return fileAllowed && OWN.has(t.debtorAgent) && (t.instructing === undefined || OWN.has(t.instructing)) && PAYABLE.has(t.creditorAgent);
      }));
      const emitted = await emittedSince(h, since);
      let accepted: Set<string>;
      if (a.kind === 'batch') {
        accepted = acceptedByAnswer(result.answerXml, ids);
      } else {
        // A real-time payment the switch takes is forwarded to its creditor agent and not answered yet.
        const forwards = emitted.filter((m) => m.type === 'pacs.008.001.08');
        accepted = new Set(forwards.flatMap((m) => parsePacs008(m.xml).transactions.map((t) => t.paymentIdentification.transactionId!)));
        if (accepted.size === 0) assert.ok(result.answerXml === undefined || acceptedByAnswer(result.answerXml, ids).size === 0);
      }
      assert.deepEqual([...accepted].sort(), [...allowed].sort(), `accepted ${[...accepted]} but the attacker may only send ${[...allowed]}`);
      // Whatever reached another bank is a payment the attacker makes itself.
      for (const m of emitted.filter((e) => e.recipient !== ATTACKER)) {
        assert.equal(m.type, 'pacs.008.001.08', `${m.type} sent to ${m.recipient}`);
        for (const t of parsePacs008(m.xml).transactions) assert.ok(OWN.has(t.debtorAgent), `forwarded a payment debiting ${t.debtorAgent}`);
      }
      break;
    }
    case 'return': {
      const original = world.settled.transactions[0]!;
      const xml = buildPacs004({
        groupHeader: { messageId: `ATT-RET-${n}`, creationDateTime: '2026-11-26T10:00:00Z', numberOfTransactions: '1',
          settlementInformation: { method: 'CLRG' }, instructingAgent: a.groupInstructing, instructedAgent: SWITCH },
        transactions: [{ returnId: `ATT-R-${n}`, originalTransactionId: original.paymentIdentification.transactionId,
          originalUetr: original.paymentIdentification.uetr, originalEndToEndId: original.paymentIdentification.endToEndId,
          returnedInterbankSettlementAmount: original.interbankSettlementAmount, returnReasons: [{ reason: { code: 'AC04' } }],
          ...(a.instructing ? { instructingAgent: a.instructing } : {}) }],
      });
      const result = await submitAs(h, ATTACKER, withHeader(xml, a.header, 'pacs.004.001.09', `R${n}`));
      // The attacker never received that payment: nothing it writes makes the return its own.
      assert.equal(acceptedByAnswer(result.answerXml, [`ATT-R-${n}`]).size, 0, 'a return of a payment the attacker did not receive');
      break;
    }
    case 'recall': {
      const original = world.settled.transactions[1]!;
      const xml = buildCamt056({
        assignment: { id: `ATT-CASE-${n}`, assigner: a.assigner, assignee: SWITCH, creationDateTime: '2026-11-26T10:00:00Z' },
        case: { id: `ATT-C-${n}`, creator: a.creator },
        underlying: [{ transactions: [{ originalTransactionId: original.paymentIdentification.transactionId, originalUetr: original.paymentIdentification.uetr,
          originalGroup: { messageId: world.settled.groupHeader.messageId, messageNameId: 'pacs.008.001.08' },
          originalInterbankSettlementAmount: original.interbankSettlementAmount, reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
      });
      const result = await submitAs(h, ATTACKER, withHeader(xml, a.header, 'camt.056.001.08', `C${n}`));
      assert.equal(result.status, 'RJCT', 'a recall of a payment the attacker did not send');
      break;
    }
    case 'status': {
      const original = world.settled.transactions[0]!;
      const xml = buildPacs028({
        groupHeader: { messageId: `ATT-STS-${n}`, creationDateTime: '2026-11-26T10:00:00Z', instructingAgent: a.groupInstructing, instructedAgent: SWITCH },
        originalGroups: [{ originalMessageId: world.settled.groupHeader.messageId, originalMessageNameId: 'pacs.008.001.08' }],
        transactions: [{ originalTransactionId: original.paymentIdentification.transactionId, originalUetr: original.paymentIdentification.uetr,
          ...(a.instructing ? { instructingAgent: a.instructing } : {}) }],
      });
      const result = await submitAs(h, ATTACKER, withHeader(xml, a.header, 'pacs.028.001.03', `S${n}`));
      // Whatever the answer, it tells the attacker nothing about another bank's payment.
      for (const m of await emittedSince(h, since)) {
        assert.equal(m.recipient, ATTACKER);
        if (m.type !== 'pacs.002.001.10') continue;
        const answer = parsePacs002(m.xml);
        if (answer.transactions.length === 0) assert.equal(answer.originalGroups[0]?.groupStatus, 'RJCT');
        for (const t of answer.transactions) assert.equal(t.transactionStatus, 'RJCT', `status of another bank's payment revealed: ${t.transactionStatus}`);
      }
      assert.ok(result.status === 'RJCT' || result.answerXml === undefined);
      break;
    }
    case 'answer': {
      const t = world.instant.transactions[0]!;
      const xml = buildPacs002({
        groupHeader: { messageId: `ATT-ANS-${n}`, creationDateTime: '2026-11-26T10:00:00Z',
          ...(a.groupInstructing ? { instructingAgent: a.groupInstructing } : {}), instructedAgent: SWITCH },
        originalGroups: [{ originalMessageId: world.forwardedMessageId, originalMessageNameId: 'pacs.008.001.08' }],
        transactions: [{ originalTransactionId: t.paymentIdentification.transactionId, originalUetr: t.paymentIdentification.uetr,
          originalEndToEndId: t.paymentIdentification.endToEndId, transactionStatus: 'ACCP', ...(a.instructing ? { instructingAgent: a.instructing } : {}) }],
      });
      await submitAs(h, ATTACKER, withHeader(xml, a.header, 'pacs.002.001.10', `A${n}`));
      break;
    }
    case 'settlement': {
      const xml = buildPacs002({
        groupHeader: { messageId: `ATT-STL-${n}`, creationDateTime: '2026-11-26T10:00:00Z',
          ...(a.groupInstructing ? { instructingAgent: a.groupInstructing } : {}), instructedAgent: SWITCH },
        originalGroups: [{ originalMessageId: 'ANY', originalMessageNameId: 'pacs.009.001.08' }],
        transactions: world.instructionIds.map((id) => ({ originalTransactionId: id, transactionStatus: 'ACSC' })),
      });
      await submitAs(h, ATTACKER, withHeader(xml, a.header, 'pacs.002.001.10', `T${n}`));
      break;
    }
  }
  assert.equal(await othersBooks(h), before, 'nothing another bank owns changed');
  // Every key the attacker's messages claimed is its own: none in another bank's name.
  const foreign = await h.engine.storeForTests().query('SELECT kind, scope, key FROM idempotency_keys k JOIN messages m ON m.id = k.message_id WHERE m.participant = $1 AND k.scope <> $1',
    [ATTACKER]);
  assert.deepEqual(foreign, []);
  // Every payment the attacker created debits the attacker and names it as instructing agent.
  const created = await h.engine.storeForTests().query<{ debtor_agent: string; instructing_agent: string }>(
    'SELECT p.debtor_agent, p.instructing_agent FROM payments p JOIN messages m ON m.id = p.message_id WHERE m.participant = $1', [ATTACKER]);
  for (const p of created) assert.deepEqual(p, { debtor_agent: ATTACKER, instructing_agent: ATTACKER });
}

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

describe('a participant acts only for itself', () => {
  it('generated messages of every kind with other banks in their party fields use no other bank\'s position or identity', async () => {
    const h = await harness('postgres', bindingScheme(), xsd);
    try {
      const world = await prepareWorld(h);
      await fc.assert(fc.asyncProperty(attack, (a) => probe(world, a)), parameters);
      // The victim's business still goes through: its real-time payment is answered by its creditor
      // agent and committed; the pending cycle settles.
      await h.dispatch();
      assert.ok(await h.bank(THIRD).answerRealtime() >= 1);
      const [instant] = await h.engine.storeForTests().query<{ state: string }>("SELECT state FROM payments WHERE mode = 'realtime' AND debtor_agent = $1", [VICTIM]);
      assert.equal(instant!.state, 'COMMITTED');
    } finally {
      await h.close();
    }
  });

  it('TxId and UETR squatting: the attacker sends the victim\'s ids first, and the victim\'s own file is still accepted', async () => {
    const h = await harness('postgres', bindingScheme(), xsd);
    try {
      const victim = victimFile(77, 4);
      // 1. The victim's ids in a file naming the victim as instructing agent of each transaction
      //    (and as debtor agent of one): refused, nothing claimed.
      const inVictimsName: Pacs008 = {
        groupHeader: { ...victim.groupHeader, messageId: 'ATT-SQUAT-1', instructingAgent: ATTACKER },
        transactions: victim.transactions.map((t, i) => ({ ...t, instructingAgent: VICTIM, debtorAgent: i === 0 ? VICTIM : ATTACKER })),
      };
      const first = await submitAs(h, ATTACKER, buildPacs008(inVictimsName));
      assert.equal(first.status, 'RJCT');
      assert.ok(first.report.findings.every((f) => f.code === 'AG08'), JSON.stringify(first.report.findings));
      // 2. The same ids in a file of the attacker's own: its own payments, under its own keys.
      const inOwnName: Pacs008 = {
        groupHeader: { ...victim.groupHeader, messageId: 'ATT-SQUAT-2', instructingAgent: ATTACKER },
        transactions: victim.transactions.map((t) => ({ ...t, debtorAgent: ATTACKER })),
      };
      const second = await submitAs(h, ATTACKER, buildPacs008(inOwnName));
      assert.equal(second.status, 'ACCP', JSON.stringify(second.report.findings));
      // 3. The victim's own file: every transaction accepted.
      const own = await submitAs(h, VICTIM, buildPacs008(victim));
      assert.equal(own.status, 'ACCP', JSON.stringify(own.report.findings));
      assert.match(own.answerXml!, /<GrpSts>ACTC<\/GrpSts>/);
      // Netted and settled, each bank pays exactly its own file.
      const cycleId = await h.closeAndSettle();
      const positions = (await h.engine.positions(cycleId))!.positions;
      const total = victim.transactions.reduce((sum, t) => sum + BigInt(t.interbankSettlementAmount.value.replace('.', '')), 0n);
      assert.equal(positions.find((p) => p.bic === VICTIM)!.net_minor, -total);
      assert.equal(positions.find((p) => p.bic === ATTACKER)!.net_minor, -total);
      assert.equal(positions.find((p) => p.bic === THIRD)!.net_minor, 2n * total);
    } finally {
      await h.close();
    }
  });

  it('a participant\'s BIC8 and BIC11 forms both name it, wherever it names itself', async () => {
    const h = await harness('postgres', bindingScheme(), xsd);
    try {
      // The attacker (configured as a BIC11) writes its BIC8; the participant configured as a BIC8 writes its BIC11.
      for (const [sender, written, country] of [[ATTACKER, 'BANKBEBB', 'BE'], [SHORT, `${SHORT}XXX`, 'NL']] as const) {
        const model = bulkCreditTransfer({ seed: 5, sender: bank(written, country), receivers: [THIRD_BANK], transactionCount: 2, settlementDate: '2026-11-26',
          createdAt: '2026-11-26T10:00:00Z', messageId: `${written}-M1`, maxAmountMinor: 100_000 });
        const result = await submitAs(h, sender, withHeader(buildPacs008(model), written, 'pacs.008.001.08', `${written}-1`));
        assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings));
      }
      // A connector naming the sender by its other form changes nothing either.
      const model = bulkCreditTransfer({ seed: 6, sender: ATTACKER_BANK, receivers: [THIRD_BANK], transactionCount: 1, settlementDate: '2026-11-26',
        createdAt: '2026-11-26T10:00:00Z', messageId: 'BANKBEBB-M2', maxAmountMinor: 100_000 });
      const bySenderBic8 = await submitAs(h, 'BANKBEBB', buildPacs008(model));
      assert.equal(bySenderBic8.status, 'ACCP', JSON.stringify(bySenderBic8.report.findings));
      const [stored] = await h.engine.storeForTests().query<{ participant: string }>('SELECT participant FROM messages WHERE id = $1', [bySenderBic8.messageRowId]);
      assert.equal(stored!.participant, ATTACKER);
      assert.equal((await submitAs(h, 'BANKBEBB', buildPacs008(model))).replay, true);
      const cycleId = await h.closeAndSettle();
      const positions = (await h.engine.positions(cycleId))!.positions;
      // Netted under the configured BICs, whatever form the files wrote.
      assert.deepEqual(positions.map((p) => p.bic).sort(), [ATTACKER, SHORT, THIRD].sort());
    } finally {
      await h.close();
    }
  });
});
