/**
 * engine.setNetDebitCap: the operator action is recorded first and with the change in one transaction;
 * the new cap governs real-time headroom at once; a currency the participant does not clear changes
 * and records nothing. On PGlite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backends, harness } from './support.ts';

for (const backend of backends) {
  describe(`net debit cap changes on ${backend}`, () => {
    it('records the action, applies the cap to headroom, refuses an unknown currency without a trace', async () => {
      const h = await harness(backend);
      try {
        const action = { actor: 'olivia', action: 'participant.cap.set', subject: 'BANKDEFFXXX', reason: 'ticket 7', details: { via: 'test' } };
        assert.equal(await h.engine.setNetDebitCap('BANKDEFFXXX', 'EUR', 123_456n, action), true);
        const [exposure] = await h.engine.exposures('BANKDEFFXXX');
        assert.equal(exposure!.capMinor, 123_456n);
        assert.equal(exposure!.headroomMinor, 123_456n);
        const [recorded] = await h.engine.operatorActions({ subject: 'BANKDEFFXXX' });
        assert.equal(recorded!.action, 'participant.cap.set');
        assert.equal(recorded!.actor, 'olivia');

        assert.equal(await h.engine.setNetDebitCap('BANKDEFFXXX', 'USD', 1n, action), false);
        assert.equal((await h.engine.operatorActions({ subject: 'BANKDEFFXXX' })).length, 1, 'nothing recorded for a cap that does not exist');
        await assert.rejects(h.engine.setNetDebitCap('BANKDEFFXXX', 'EUR', -1n, action), RangeError);
      } finally {
        await h.close();
      }
    });
  });
}
