/**
 * Engine.open({ readOnly }) reads and changes nothing (issue 10, "Read commands write"): no migration,
 * no configuration applied (an edited file's caps and statuses stay out of the store), no cycle
 * opened, every writing method refused, and every statement in a READ ONLY transaction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig } from '../../switch/config.ts';
import { Engine, ReadOnlyEngineError } from '../../switch/engine/engine.ts';
import { SchemaNotCurrentError } from '../../switch/store/migrate.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { backends, freshPostgresUrl, schemeConfig, TestClock } from './support.ts';

/** The test scheme with BANKDEFFXXX's cap at 100.00 and BANKFRPPXXX suspended: what an edited file says. */
function edited() {
  const config = JSON.parse(JSON.stringify(schemeConfig()));
  config.participants[0].netDebitCap.EUR = '100.00';
  config.participants[1].status = 'suspended';
  return checkConfig(config);
}

async function storeOf(backend: string): Promise<{ databaseUrl?: string; dataDirectory?: string }> {
  return backend === 'postgres' ? { databaseUrl: await freshPostgresUrl() } : { dataDirectory: mkdtempSync(join(tmpdir(), 'clearhouse-ro-')) };
}

for (const backend of backends) {
  describe(`read-only engine (${backend})`, () => {
    it('applies no configuration, opens no cycle, refuses every write', async () => {
      const xsd = new XsdValidator();
      try {
        const store = await storeOf(backend);
        const writer = await Engine.open({ config: schemeConfig(), clock: new TestClock(), xsd, ...store });
        const before = await snapshot(writer);
        const cyclesBefore = await writer.cycles();
        await writer.close();

        const reader = await Engine.open({ config: edited(), clock: new TestClock('2026-11-27T09:00:00Z'), xsd, readOnly: true, ...store });
        try {
          assert.deepEqual(await reader.cycles(), cyclesBefore, 'no cycle opened for the next day');
          assert.equal(reader.configuration.participants[0]!.netDebitCap.EUR, '10000000.00', 'the register in force, not the file');
          assert.equal(reader.configuration.participants[1]!.status, 'active');
          await assert.rejects(reader.closeCycle(), ReadOnlyEngineError);
          await assert.rejects(reader.submit({ sender: 'BANKDEFFXXX', fileName: 'x.xml', bytes: new Uint8Array([60]) }), ReadOnlyEngineError);
          await assert.rejects(reader.recordOperatorAction({ actor: 'a', action: 'x.y', subject: 's', reason: 'r' }), ReadOnlyEngineError);
          await assert.rejects(reader.suspendParticipant('BANKDEFFXXX', { actor: 'a', reason: 'r' }), ReadOnlyEngineError);
          // Even a statement that slipped past the engine's guard cannot write: the transactions are READ ONLY.
          await assert.rejects(reader.storeForTests().query("UPDATE participants SET status = 'suspended'"), /read-only transaction/);
        } finally {
          await reader.close();
        }
        const again = await Engine.open({ config: schemeConfig(), clock: new TestClock(), xsd, readOnly: true, ...store });
        try {
          assert.deepEqual(await snapshot(again), before, 'participants, caps and the journal unchanged');
        } finally {
          await again.close();
        }
      } finally {
        await xsd.close();
      }
    });

    it('a store whose schema is not current is refused, and not migrated', async () => {
      const store = await storeOf(backend);
      await assert.rejects(Engine.open({ config: schemeConfig(), readOnly: true, ...store }), SchemaNotCurrentError);
      await assert.rejects(Engine.open({ config: schemeConfig(), readOnly: true, ...store }), /run `clearhouse migrate`/);
    });
  });
}

async function snapshot(engine: Engine) {
  const db = engine.storeForTests();
  return {
    participants: await db.query('SELECT bic, name, status FROM participants ORDER BY bic'),
    exposures: await db.query('SELECT bic, currency, cap_minor::text AS cap FROM exposures ORDER BY bic, currency'),
    actions: await db.query('SELECT id, action FROM operator_actions ORDER BY id'),
    register: await db.query('SELECT version FROM scheme_register ORDER BY version'),
  };
}
