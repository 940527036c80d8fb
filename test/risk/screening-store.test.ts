/**
 * Lists in the store and at run time (switch/engine/screening-lists.ts, migration 017, docs/risk.md
 * "Screening"), on PGlite and PostgreSQL: a load is one recorded, versioned, all-or-nothing write; a
 * refused file leaves nothing; a running engine's ScreeningLists screens against a new version without a
 * restart (on PostgreSQL: one loaded by another engine, as by `clearhouse risk lists load` beside a
 * running serve); a read-only engine lists but cannot load; the tables are append-only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, ReadOnlyEngineError } from '../../switch/engine/engine.ts';
import { hashed, ScreeningLists, type ScreeningListLoad } from '../../switch/engine/screening-lists.ts';
import { ListFormatError, type ListSource } from '../../switch/risk/screening/list.ts';
import { parseSchemeList } from '../../switch/risk/screening/parse-scheme.ts';
import { parseUnList } from '../../switch/risk/screening/parse-un.ts';
import type { PaymentRiskFacts } from '../../switch/risk/types.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { backends, freshPostgresUrl, schemeConfig, TestClock } from '../engine/support.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'screening');
const WHO = { actor: 'alice', reason: 'UN list published 2026-12-01' };

function unLoad(source: ListSource, name = 'un-consolidated'): ScreeningListLoad {
  const hash = hashed();
  return { name, format: 'un', records: parseUnList(hash.wrap(source)), sha256: hash.sha256, files: ['consolidated.xml'] };
}
const fixture = (name: string): ListSource => createReadStream(join(FIXTURES, name));
const text = (value: string): ListSource => (async function* () { yield value; })();

function payment(creditorName: string): PaymentRiskFacts {
  return {
    service: 'batch', currency: 'EUR', amount: 100n, instructingAgent: 'BANKDEFFXXX', debtorAgent: 'BANKDEFFXXX', creditorAgent: 'BANKFRPPXXX',
    debtor: { name: 'Anna Schmidt' }, creditor: { name: creditorName }, receivedAt: new Date('2026-11-26T09:00:00Z'), businessDate: '2026-11-26',
  };
}

/** Waits (bounded) until the screener in force finds `name`, polling as the stage would. */
async function untilScreened(lists: ScreeningLists, name: string, expected: boolean): Promise<void> {
  const started = performance.now();
  while ((lists.current().screen(payment(name)).length > 0) !== expected) {
    assert.ok(performance.now() - started < 20_000, `${name} ${expected ? 'never became' : 'stayed'} a hit`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const backend of backends) {
  describe(`screening lists in the store (${backend})`, () => {
    it('loads versions whole and recorded, refuses a bad file leaving nothing, and a running ScreeningLists follows', async () => {
      const xsd = new XsdValidator();
      const url = backend === 'postgres' ? await freshPostgresUrl() : undefined;
      const engine = await Engine.open({ config: schemeConfig(), clock: new TestClock(), xsd, ...(url ? { databaseUrl: url } : {}) });
      try {
        const db = engine.storeForTests();
        const running = new ScreeningLists(db, { pollIntervalMs: 0 });
        assert.equal(await running.refresh(), true);
        assert.deepEqual(running.current().screen(payment('Ivan Sidorov')), [], 'no list yet');

        const v1 = await engine.loadScreeningList(unLoad(fixture('un-consolidated.xml')), WHO);
        assert.deepEqual([v1.name, v1.version, v1.format, v1.entryCount, v1.valueCount, v1.loadedBy, v1.reason],
          ['un-consolidated', 1, 'un', 4, 15, 'alice', WHO.reason]);
        assert.equal(v1.sourceSha256, (await import('node:crypto')).createHash('sha256').update(readFileSync(join(FIXTURES, 'un-consolidated.xml'))).digest('hex'));
        const [action] = await db.query<{ action: string; subject: string; actor: string }>('SELECT action, subject, actor FROM operator_actions WHERE id = $1', [v1.actionId]);
        assert.deepEqual(action, { action: 'risk.list.load', subject: 'list un-consolidated', actor: 'alice' });
        await untilScreened(running, 'Ivan Sidorov', true);
        assert.deepEqual(running.inForce(), ['un-consolidated@v1']);

        const counts = async () => (await db.query<{ a: number; l: number; e: number }>(
          `SELECT (SELECT count(*)::int FROM operator_actions) AS a, (SELECT count(*)::int FROM screening_lists) AS l,
                  (SELECT count(*)::int FROM screening_list_entries) AS e`))[0];
        const before = await counts();
        await assert.rejects(engine.loadScreeningList(unLoad(fixture('un-truncated.xml')), WHO), (e: unknown) => e instanceof ListFormatError && e.line === 100);
        await assert.rejects(engine.loadScreeningList(unLoad(text('<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>')), WHO),
          (e: unknown) => e instanceof ListFormatError && /no entries/.test(e.reason));
        assert.deepEqual(await counts(), before, 'nothing of a refused file, not even its operator action');

        // Version 2 lists someone else instead of Ivan Sidorov: the running screener follows.
        const second = readFileSync(join(FIXTURES, 'un-consolidated.xml'), 'utf8')
          .replace('<FIRST_NAME>IVAN</FIRST_NAME>', '<FIRST_NAME>BORIS</FIRST_NAME>').replace('<ALIAS_NAME>Ivan Sidorov</ALIAS_NAME>', '<ALIAS_NAME>Boris Sidorov</ALIAS_NAME>')
          .replace('<NAME_ORIGINAL_SCRIPT>Иван Петрович Сидоров</NAME_ORIGINAL_SCRIPT>', '');
        const v2 = await engine.loadScreeningList(unLoad(text(second)), { actor: 'bob', reason: 'UN list published 2026-12-02' });
        assert.equal(v2.version, 2);
        await untilScreened(running, 'Ivan Sidorov', false);
        await untilScreened(running, 'Boris Petrovich Sidorov', true);
        assert.deepEqual(running.inForce(), ['un-consolidated@v2']);

        // A second list joins; the first list's index is kept, not rebuilt.
        const hash = hashed();
        await engine.loadScreeningList({ name: 'scheme', format: 'scheme', records: parseSchemeList(hash.wrap(fixture('scheme-list.csv'))),
          sha256: hash.sha256, files: ['scheme-list.csv'] }, WHO);
        await untilScreened(running, 'Shell Front Trading', true);
        assert.deepEqual(running.inForce(), ['scheme@v1', 'un-consolidated@v2']);
        const hits = running.current().screen(payment('Boris Sidorov'));
        assert.deepEqual(hits.map((h) => h.list), ['un-consolidated@v2']);

        assert.deepEqual((await engine.screeningListVersions()).map((v) => `${v.name}@v${v.version}`), ['scheme@v1', 'un-consolidated@v2', 'un-consolidated@v1']);
        await assert.rejects(db.query("UPDATE screening_lists SET loaded_by = 'mallory'"), /append-only/);
        await assert.rejects(db.query('DELETE FROM screening_list_entries'), /append-only/);
        await running.close();
      } finally {
        await engine.close();
      }

      if (url !== undefined) {
        // Another process (engine) on the same store: reads the versions, loads only when writable,
        // and its own screeningLists() picks up what the first one loaded.
        const reader = await Engine.open({ config: schemeConfig(), clock: new TestClock(), xsd, databaseUrl: url, readOnly: true });
        try {
          assert.equal((await reader.screeningListVersions()).length, 3);
          await assert.rejects(reader.loadScreeningList(unLoad(fixture('un-consolidated.xml')), WHO), ReadOnlyEngineError);
          const lists = reader.screeningLists();
          await lists.refresh();
          assert.deepEqual(lists.inForce(), ['scheme@v1', 'un-consolidated@v2']);
        } finally {
          await reader.close();
        }
      }
      await xsd.close();
    });
  });
}
