/**
 * Shared set-up for the scoring tests: payment facts with defaults, and a migrated store on PGlite (in
 * memory) or on the CI run's PostgreSQL (TEST_DATABASE_URL, a fresh schema prefixed `scoring_`, dropped
 * at close).
 */
import pg from 'pg';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';
import { migratedTemplate } from '../support/store-template.ts';
import type { PaymentRiskFacts } from '../../switch/risk/types.ts';

export type Backend = 'pglite' | 'postgres';
export const backends: readonly Backend[] = ['pglite', 'postgres'];
const baseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;

/** A migrated store; `close` also drops the PostgreSQL schema. */
export async function openStore(backend: Backend, poolSize = 10): Promise<Database> {
  if (backend === 'pglite') {
    // From the run's migrated template (test/support/store-template.ts); migrate() checks it is current.
    const db = await openDatabase({ startFrom: await migratedTemplate() });
    await migrate(db);
    return db;
  }
  const schema = `scoring_${process.pid}_${counter++}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openDatabase({ url: url.toString(), poolSize });
  await migrate(db);
  return {
    ...db,
    kind: db.kind,
    query: db.query.bind(db),
    transaction: db.transaction.bind(db),
    async close() {
      await db.close();
      const drop = new pg.Client({ connectionString: baseUrl });
      await drop.connect();
      await drop.query(`DROP SCHEMA ${schema} CASCADE`);
      await drop.end();
    },
  };
}

/** A payment's facts: Bank A's account DE…01 paying Bank B's FR…01 EUR 100.00 at 12:00 UTC on a Thursday. */
export function facts(overrides: Partial<PaymentRiskFacts> = {}): PaymentRiskFacts {
  return {
    service: 'realtime', currency: 'EUR', amount: 10_000n,
    instructingAgent: 'BANKDEFFXXX', debtorAgent: 'BANKDEFFXXX', creditorAgent: 'BANKFRPPXXX',
    debtorAccount: 'DE89370400440532013001', creditorAccount: 'FR7630006000011234567890101',
    debtor: { name: 'Anna Debtor' }, creditor: { name: 'Claude Creditor' },
    receivedAt: new Date('2026-11-26T12:00:00Z'), businessDate: '2026-11-26',
    ...overrides,
  };
}
