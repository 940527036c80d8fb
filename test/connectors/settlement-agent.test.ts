/**
 * The settlement agent as a separate, signed counterparty (issue 10): the switch delivers its signed
 * pacs.009s through the agent's directory connector; the agent simulator (its own books, its own key
 * from the scheme PKI) reads them there and puts its signed pacs.002 answers into its inbound/; the
 * switch reads and verifies them with pollInbound like any participant's file. No in-process shortcut.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { SettlementAgentSimulator } from '../../switch/demo/simulators.ts';
import { DirectoryConnector } from '../../connectors/registry.ts';
import { pollInbound, type TrustAnchors } from '../../connectors/inbound.ts';
import { signingDeliver } from '../../connectors/outbound.ts';
import { signDetached } from '../../connectors/signing/cms.ts';
import { createCa, issueCertificate, type KeyAndCertificate } from '../../connectors/signing/pki.ts';
import { AGENT, AGENT_OPENING_BALANCE_MINOR, backends, harness, SWITCH } from '../engine/support.ts';

let xsd: XsdValidator;
let trust: TrustAnchors;
const keys = new Map<string, KeyAndCertificate>();
const silent = (): void => {};

before(() => {
  xsd = new XsdValidator();
  const notBefore = new Date(Date.parse('2026-11-26T09:00:00Z') - 86_400_000); // the engine tests' clock, minus a day
  const ca = createCa({ commonName: 'Clearhouse Test CA', validDays: 3650, notBefore });
  trust = { caCertPems: [ca.certPem] };
  for (const bic of [AGENT, SWITCH, 'BANKDEFFXXX']) {
    const issued = issueCertificate({ ca, bic, notBefore, validDays: 364 });
    keys.set(bic, { keyPem: issued.keyPem!, certPem: issued.certPem });
  }
});
after(async () => { await xsd.close(); });

for (const backend of backends) {
  describe(`the settlement agent through its directory connector on ${backend}`, () => {
    it('signed instructions out, signed answers in and verified; a forged answer is refused; the agent books each position once', async () => {
      const h = await harness(backend, undefined, xsd);
      try {
        const connector = new DirectoryConnector(new Map([[AGENT, join(h.mailboxes.root, AGENT)]]), { log: silent });
        const toAgent = signingDeliver(connector, keys.get(SWITCH)!, h.clock);
        const deliver = async (): Promise<void> => {
          while ((await h.engine.dispatch((m) => (m.recipient === AGENT ? toAgent(m) : h.mailboxes.deliver(m)))) > 0) { /* everything due */ }
        };
        const agent = new SettlementAgentSimulator(h.engine, h.mailboxes, AGENT, new Set(),
          { openingBalanceMinor: AGENT_OPENING_BALANCE_MINOR, signer: keys.get(AGENT)! });
        for (const i of [0, 1, 2]) {
          const sender = DEMO_BANKS[i]!;
          const model = bulkCreditTransfer({ seed: 500 + i, sender, receivers: [0, 1, 2].filter((k) => k !== i).map((k) => DEMO_BANKS[k]!),
            transactionCount: 8, settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-S${i}` });
          assert.equal((await h.engine.submit({ bytes: new TextEncoder().encode(buildPacs008(model)), sender: sender.bic })).status, 'ACCP');
        }
        const cycleId = (await h.engine.closeCycle())!;
        await deliver();
        const instructions = h.mailboxes.outbound(AGENT).filter((f) => f.startsWith('pacs.009') && !f.endsWith('.p7s'));
        assert.ok(instructions.length > 0);
        for (const f of instructions) assert.ok(h.mailboxes.outbound(AGENT).includes(`${f}.p7s`), `${f} delivered signed`);

        // A forged answer: an ACSC for every instruction, signed by a bank's key, put in the agent's inbound.
        const forger = new SettlementAgentSimulator(h.engine, h.mailboxes, AGENT, new Set(), { signer: keys.get('BANKDEFFXXX')! });
        const forged = forger.answer(h.mailboxes.read(AGENT, 'outbound', instructions[0]!).toString('utf8'));
        h.mailboxes.put(AGENT, 'forged.xml.p7s', signDetached(new TextEncoder().encode(forged), keys.get('BANKDEFFXXX')!));
        h.mailboxes.put(AGENT, 'forged.xml', new TextEncoder().encode(forged));
        const refused = await pollInbound(h.engine, connector, [AGENT], trust, h.clock.now(), { log: silent });
        assert.equal(refused.files.length, 1);
        assert.equal(refused.files[0]!.outcome, 'refused', 'a file for the agent signed by a bank is refused');
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLEMENT_SENT', 'the forged answer settled nothing');

        for (let round = 0; round < 5; round++) {
          const answered = await agent.answerAll();
          const polled = await pollInbound(h.engine, connector, [AGENT], trust, h.clock.now(), { log: silent });
          assert.equal(polled.files.length, answered, 'every signed answer read and verified');
          await deliver();
          if (answered === 0) break;
        }
        assert.equal((await h.engine.positions(cycleId))!.cycle.state, 'SETTLED');
        const positions = new Map((await h.engine.positions(cycleId))!.positions.filter((p) => p.net_minor !== 0n).map((p) => [`${p.bic}|${p.currency}`, p.net_minor]));
        assert.deepEqual(agent.bookedPerParticipant(cycleId), positions, 'the agent booked each position once');
        assert.equal(agent.balance(SWITCH, 'EUR'), 0n);
      } finally {
        await h.close();
      }
    });
  });
}
