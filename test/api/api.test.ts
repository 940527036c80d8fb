/**
 * The HTTP API end to end over real HTTPS, on PGlite and on PostgreSQL: a bank submits through the API
 * with its client certificate and gets the connectors' answer; participants see only their own
 * payments and positions; a revoked certificate stops working once the new CRL is in place; people
 * log in with password and TOTP, a code is accepted once, sessions expire, repeated failures lock;
 * maker-checker cannot be satisfied by one person and applies the cap once approved; every write is
 * in the audit trail with who, why and from where.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { createCrl } from '../../connectors/signing/pki.ts';
import { base32Decode, totp } from '../../switch/api/credentials.ts';
import { limits } from '../../switch/limits.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { backends } from '../engine/support.ts';
import { writeSchemePki } from '../support/scheme-pki.ts';
import { apiHarness, httpsRequest, type ApiHarness } from './support.ts';

function pacs008(sender: number, receiver: number, seed: number, messageId: string): string {
  return buildPacs008(bulkCreditTransfer({
    seed, sender: DEMO_BANKS[sender]!, receivers: [DEMO_BANKS[receiver]!], transactionCount: 3, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId,
  }));
}

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

for (const backend of backends) {
  describe(`HTTP API on ${backend}`, () => {
    let a: ApiHarness;
    before(async () => { a = await apiHarness(backend, xsd); });
    after(async () => { await a.close(); });

    it('a bank submits by client certificate, gets the answer, a replay is answered as one; others see none of it', async () => {
      const xml = pacs008(0, 1, 11, 'BANKDEFF-API-11');
      const first = await a.call('POST', '/messages?fileName=api-11.xml', { bank: 'BANKDEFFXXX', xml });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json.status, 'ACCP');
      assert.equal(first.json.replay, false);
      assert.match(first.json.answer, /pacs\.002/);
      const again = await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml });
      assert.equal(again.json.replay, true);
      assert.equal(again.json.messageRowId, first.json.messageRowId);

      // The debtor and the creditor agent find the three payments; a third bank finds nothing.
      const mine = await a.call('GET', '/payments?limit=2', { bank: 'BANKDEFFXXX' });
      assert.equal(mine.json.payments.length, 2);
      assert.ok(mine.json.next, 'a next page');
      const rest = await a.call('GET', `/payments?limit=2&before=${mine.json.next}`, { bank: 'BANKDEFFXXX' });
      assert.equal(rest.json.payments.length, 1);
      assert.equal(rest.json.next, undefined);
      const creditor = await a.call('GET', '/payments?creditor=BANKFRPPXXX', { bank: 'BANKFRPPXXX' });
      assert.equal(creditor.json.payments.length, 3);
      const other = await a.call('GET', '/payments', { bank: 'BANKNL2AXXX' });
      assert.deepEqual(other.json.payments, []);
      // Filters cannot widen a participant's view: asking for another bank's payments gives nothing.
      const widened = await a.call('GET', '/payments?debtor=BANKDEFFXXX', { bank: 'BANKNL2AXXX' });
      assert.deepEqual(widened.json.payments, []);

      const id = mine.json.payments[0].id as string;
      const detail = await a.call('GET', `/payments/${id}`, { bank: 'BANKDEFFXXX' });
      assert.equal(detail.status, 200);
      assert.equal(detail.json.payment.debtorAgent, 'BANKDEFFXXX');
      assert.ok(detail.json.history.length >= 1);
      assert.equal(detail.json.messages[0].direction, 'in');
      assert.match(detail.json.transactionXml, /CdtTrfTxInf/);
      const messageId = detail.json.messages[0].id as string;
      const bytes = await a.call('GET', `/messages/${messageId}`, { bank: 'BANKDEFFXXX' });
      assert.equal(bytes.status, 200);
      assert.equal(bytes.headers['content-type'], 'application/xml');
      assert.equal(bytes.text, xml, 'the message as received');
      assert.equal((await a.call('GET', `/messages/${messageId}`, { bank: 'BANKFRPPXXX' })).status, 404, 'the sender\'s inbound file is the sender\'s');
      const foreign = await a.call('GET', `/payments/${id}`, { bank: 'BANKNL2AXXX' });
      assert.equal(foreign.status, 404, 'no hint that another bank\'s payment exists');

      // Positions: one's own only; a regulator sees every participant's.
      const positions = await a.call('GET', '/positions', { bank: 'BANKNL2AXXX' });
      assert.deepEqual(positions.json.exposures.map((e: { bic: string }) => e.bic), ['BANKNL2AXXX']);
      assert.equal(positions.json.exposures[0].headroomMinor, '1000000000');
      const regulator = await a.call('GET', '/positions', { token: await a.login('rita') });
      assert.equal(regulator.json.exposures.length, 5);
      const everything = await a.call('GET', '/payments', { token: await a.login('rita') });
      assert.equal(everything.json.payments.length, 3);
    });

    it('an operator closes the cycle (recorded with who, why and from where); a bank sees only its own netted position', async () => {
      const olivia = await a.login('olivia');
      const closed = await a.call('POST', '/cycles/close', { token: olivia, body: { reason: 'end of day test' } });
      assert.equal(closed.status, 200, closed.text);
      const cycleId = closed.json.closedCycle as string;
      assert.ok(cycleId);
      const bank = await a.call('GET', `/cycles/${cycleId}/positions`, { bank: 'BANKFRPPXXX' });
      assert.equal(bank.status, 200, bank.text);
      assert.deepEqual(bank.json.positions.map((p: { bic: string }) => p.bic), ['BANKFRPPXXX']);
      for (const b of bank.json.bilateral) assert.ok(b.debtor === 'BANKFRPPXXX' || b.creditor === 'BANKFRPPXXX');
      const full = await a.call('GET', `/cycles/${cycleId}/positions`, { token: olivia });
      assert.equal(full.json.positions.length, 2);
      const instructions = await a.call('GET', `/cycles/${cycleId}/settlement`, { token: olivia });
      assert.deepEqual(instructions.json.instructions.map((i: { bic: string; direction: string }) => `${i.bic} ${i.direction}`).sort(),
        ['BANKDEFFXXX DEBIT', 'BANKFRPPXXX CREDIT']);
      const own = await a.call('GET', `/cycles/${cycleId}/settlement`, { bank: 'BANKFRPPXXX' });
      assert.deepEqual(own.json.instructions.map((i: { bic: string }) => i.bic), ['BANKFRPPXXX']);
      assert.equal((await a.call('GET', '/readyz')).json.status, 'ready');
      const trail = await a.call('GET', '/operator-actions', { token: await a.login('aaron') });
      const close = trail.json.actions.find((x: { action: string }) => x.action === 'cycle.close');
      assert.equal(close.actor, 'olivia');
      assert.equal(close.reason, 'end of day test');
      assert.equal(close.details.address, '127.0.0.1');
      assert.equal(close.details.via, 'api');
    });

    it('maker-checker: the maker cannot approve, a different supervisor can, and the cap applies once', async () => {
      const sam = await a.login('sam');
      const sue = await a.login('sue');
      const olivia = await a.login('olivia');
      const own = await a.call('POST', '/participants/BANKITMMXXX/caps/EUR', { token: sam, body: { amount: '2500000.00', reason: 'ticket 42' } });
      assert.equal(own.status, 202, own.text);
      const refused = await a.call('POST', `/approvals/${own.json.pendingActionId}/approve`, { token: sam, body: { reason: 'looks fine' } });
      assert.equal(refused.status, 403);
      assert.match(refused.json.detail, /maker of a change cannot be its checker/);
      const byOperator = await a.call('POST', `/approvals/${own.json.pendingActionId}/approve`, { token: olivia, body: { reason: 'x' } });
      assert.equal(byOperator.status, 403, 'an operator is no checker');
      const before = await a.call('GET', '/positions', { bank: 'BANKITMMXXX' });
      assert.equal(before.json.exposures[0].capMinor, '1000000000', 'nothing applied while pending');

      const approved = await a.call('POST', `/approvals/${own.json.pendingActionId}/approve`, { token: sue, body: { reason: 'checked ticket 42' } });
      assert.equal(approved.status, 200, approved.text);
      const afterwards = await a.call('GET', '/positions', { bank: 'BANKITMMXXX' });
      assert.equal(afterwards.json.exposures[0].capMinor, '250000000');
      const twice = await a.call('POST', `/approvals/${own.json.pendingActionId}/approve`, { token: sue, body: { reason: 'again' } });
      assert.equal(twice.status, 409);

      // Two checkers deciding one proposal at once: one decision, applied once.
      await a.enrol('sid', 'supervisor');
      const sid = await a.login('sid');
      const raced = await a.call('POST', '/participants/BANKITMMXXX/caps/EUR', { token: olivia, body: { amount: '3000000.00', reason: 'ticket 43' } });
      const decisions = await Promise.all([
        a.call('POST', `/approvals/${raced.json.pendingActionId}/approve`, { token: sue, body: { reason: 'ok' } }),
        a.call('POST', `/approvals/${raced.json.pendingActionId}/reject`, { token: sid, body: { reason: 'no' } }),
      ]);
      assert.deepEqual(decisions.map((d) => d.status).sort(), [200, 409], decisions.map((d) => d.text).join(' / '));
      const expectedCap = decisions[0]!.status === 200 ? '300000000' : '250000000';
      assert.equal((await a.call('GET', '/positions', { bank: 'BANKITMMXXX' })).json.exposures[0].capMinor, expectedCap);

      const list = await a.call('GET', '/approvals?state=APPROVED', { token: olivia });
      assert.equal(list.json.approvals.at(-1).maker, 'sam');
      assert.equal(list.json.approvals.at(-1).checker, 'sue');
      const trail = await a.call('GET', '/operator-actions?subject=BANKITMMXXX', { token: await a.login('aaron') });
      const journal = trail.json.actions.map((x: { action: string; actor: string }) => `${x.action} ${x.actor}`);
      // An approval applies the cap through the scheme register (participant.cap, by the checker, naming the pending action).
      assert.deepEqual(journal.slice(-3), ['approval.approve sue', 'participant.cap sue', 'approval.propose sam']);
      assert.equal(journal.filter((j: string) => j.startsWith('approval.')).length, 4, 'two proposals, two decisions: the refused attempts left no record');
      const capChanges = trail.json.actions.filter((x: { action: string }) => x.action === 'participant.cap');
      assert.ok(capChanges.length >= 1 && capChanges.every((x: { details: { pendingActionId?: string } }) => x.details.pendingActionId !== undefined));
      assert.equal(trail.json.actions[0].details.address, '127.0.0.1');
    });

    it('people: a TOTP code is accepted once, a wrong code or password counts, the fifth failure locks, sessions expire, logout ends one', async () => {
      const { password, secret } = a.people.get('sue')!;
      a.clock.advance(30_000);
      const code = totp(base32Decode(secret), a.clock.now());
      const first = await a.call('POST', '/login', { body: { name: 'sue', password, totp: code } });
      assert.equal(first.status, 200);
      const replay = await a.call('POST', '/login', { body: { name: 'sue', password, totp: code } });
      assert.equal(replay.status, 401, 'the same code twice');

      // Session life: valid until the TTL, then 401.
      const me = await a.call('GET', '/me', { token: first.json.token });
      assert.deepEqual({ name: me.json.name, role: me.json.role }, { name: 'sue', role: 'supervisor' });
      assert.ok(me.json.permissions.includes('change.decide'), 'a supervisor decides changes');
      a.clock.advance(limits.api.sessionTtlMs + 1);
      assert.equal((await a.call('GET', '/me', { token: first.json.token })).status, 401);

      // Logout.
      const token = await a.login('sue');
      assert.equal((await a.call('POST', '/logout', { token })).status, 204);
      assert.equal((await a.call('GET', '/me', { token })).status, 401);

      // Lockout: failures up to the limit (the replay above was one), then even the right credentials are refused.
      await a.enrol('lola', 'operator');
      const lola = a.people.get('lola')!;
      for (let i = 0; i < limits.api.loginFailuresMax; i++) {
        a.clock.advance(30_000);
        const wrong = await a.call('POST', '/login', { body: { name: 'lola', password: 'wrong', totp: totp(base32Decode(lola.secret), a.clock.now()) } });
        assert.equal(wrong.status, 401);
      }
      a.clock.advance(30_000);
      const locked = await a.call('POST', '/login', { body: { name: 'lola', password: lola.password, totp: totp(base32Decode(lola.secret), a.clock.now()) } });
      assert.equal(locked.status, 401);
      assert.equal(locked.json.title, 'Locked out');
      a.clock.advance(limits.api.loginLockoutMs);
      assert.ok(await a.login('lola'), 'the lock ends');
    });

    it('a revoked client certificate is refused once the new CRL is read; problems, headers and bounds', async () => {
      assert.equal((await a.call('GET', '/me', { bank: 'BANKBEBBXXX' })).status, 200);
      const serial = new X509Certificate(readFileSync(a.pki.certOf('BANKBEBBXXX'))).serialNumber;
      const ca = { keyPem: readFileSync(join(a.pki.ca, 'ca.key.pem'), 'utf8'), certPem: readFileSync(join(a.pki.ca, 'ca.cert.pem'), 'utf8') };
      const now = a.h.clock.now();
      writeFileSync(a.pki.crl, createCrl({ ca, revoked: [{ serial, date: new Date(now.getTime() - 1000) }], thisUpdate: new Date(now.getTime() - 1000),
        nextUpdate: new Date(now.getTime() + 86_400_000), crlNumber: 2 }));
      assert.equal(a.watcher.check(), 'reloaded');
      const revoked = await a.call('GET', '/me', { bank: 'BANKBEBBXXX' });
      assert.equal(revoked.status, 401);
      assert.match(revoked.json.detail, /revoked/);
      assert.equal((await a.call('GET', '/me', { bank: 'BANKDEFFXXX' })).status, 200, 'other banks unaffected');

      // A certificate naming a participant but issued by another CA proves nothing.
      const foreign = writeSchemePki(mkdtempSync(join(tmpdir(), 'clearhouse-foreign-')), ['BANKDEFFXXX'], a.h.clock.now());
      const impostor = await httpsRequest(a.api.url, readFileSync(join(a.pki.ca, 'ca.cert.pem'), 'utf8'), 'GET', '/me',
        { key: readFileSync(foreign.keyOf('BANKDEFFXXX')), cert: readFileSync(foreign.certOf('BANKDEFFXXX')) });
      assert.equal(impostor.status, 401);
      assert.match(impostor.json.detail, /not issued by a scheme CA/);

      const unknown = await a.call('GET', '/nowhere');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8');
      const health = await a.call('GET', '/healthz');
      assert.equal(health.headers['x-content-type-options'], 'nosniff');
      assert.match(String(health.headers['strict-transport-security']), /max-age/);
      const invalid = await a.call('POST', '/cycles/close', { token: await a.login('olivia'), body: { reason: '' } });
      assert.equal(invalid.status, 400);
      const tooLarge = await a.call('POST', '/login', { body: { name: 'x'.repeat(limits.api.jsonBytesMax), password: 'x', totp: '000000' } });
      assert.equal(tooLarge.status, 413);
    });
  });
}
