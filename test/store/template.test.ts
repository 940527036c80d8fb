/**
 * The tests' in-memory stores start from a migrated template (test/support/store-template.ts) instead of
 * migrating from empty each time: a store made from it must be indistinguishable from one migrated from
 * empty, or the tests that use it would test another schema than the product's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { migrate, migrations } from '../../switch/store/migrate.ts';
import { makeTemplate, migratedTemplate } from '../support/store-template.ts';

/** The run's template (made here when CLEARHOUSE_TEST_STORE_TEMPLATE=off leaves the run without one). */
const template = async (): Promise<Blob> => (await migratedTemplate()) ?? makeTemplate();

/** Everything of the schema a migration can make, each as sorted text lines (names, definitions, rows). */
async function describe(db: Database): Promise<Record<string, string[]>> {
  const lines = async (sql: string): Promise<string[]> =>
    (await db.query<{ line: string }>(sql)).map((r) => r.line).sort();
  const tables = await lines(`SELECT c.relname AS line FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`);
  const rows: string[] = [];
  for (const table of tables) {
    // Every row's text, in a fixed order; schema_migrations without applied_at (when it was made differs).
    const columns = table === 'schema_migrations' ? 'version, name, sha256' : '*';
    const [{ n, digest }] = await db.query<{ n: bigint; digest: string | null }>(
      `SELECT count(*) AS n, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS digest FROM (SELECT ${columns} FROM "${table}") t`) as [{ n: bigint; digest: string | null }];
    rows.push(`${table}: ${n} ${digest ?? ''}`);
  }
  return {
    relations: await lines(`SELECT c.relkind::text || ' ' || c.relname || ' ' || coalesce(c.reloptions::text, '') || ' ' || c.relpersistence::text AS line
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`),
    columns: await lines(`SELECT table_name || '.' || column_name || ' ' || ordinal_position || ' ' || data_type || ' ' || is_nullable || ' ' ||
                                 coalesce(column_default, '') || ' ' || coalesce(collation_name, '') || ' ' || is_generated AS line
                          FROM information_schema.columns WHERE table_schema = 'public'`),
    constraints: await lines(`SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(c.oid) AS line
                              FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'`),
    indexes: await lines(`SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public'`),
    functions: await lines(`SELECT pg_get_functiondef(p.oid) AS line FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                            WHERE n.nspname = 'public'`),
    triggers: await lines(`SELECT pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text AS line FROM pg_trigger t
                           JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'public' AND NOT t.tgisinternal`),
    views: await lines(`SELECT viewname || ' ' || definition AS line FROM pg_views WHERE schemaname = 'public'`),
    sequences: await lines(`SELECT sequencename || ' ' || data_type || ' ' || start_value || ' ' || coalesce(last_value::text, '-') AS line
                            FROM pg_sequences WHERE schemaname = 'public'`),
    types: await lines(`SELECT t.typname || ' ' || t.typtype::text || ' ' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                        FROM pg_enum e WHERE e.enumtypid = t.oid), '') AS line
                        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'`),
    extensions: await lines(`SELECT extname || ' ' || extversion AS line FROM pg_extension`),
    settings: await lines(`SELECT coalesce(setdatabase::text, '') || ' ' || array_to_string(setconfig, ',') AS line FROM pg_db_role_setting`),
    schemas: await lines(`SELECT nspname AS line FROM pg_namespace`),
    rows,
  };
}

test('a store started from the migrated template is the store migrate() makes from empty: same catalog, same rows', async () => {
  const fromEmpty = await openDatabase({});
  const fromTemplate = await openDatabase({ startFrom: await template() });
  try {
    assert.deepEqual(await migrate(fromEmpty), migrations().map((m) => m.version), 'the fresh store migrates from empty');
    // The template is current: migrate() on it checks every applied migration's checksum and applies nothing.
    assert.deepEqual(await migrate(fromTemplate), []);
    const expected = await describe(fromEmpty);
    assert.ok(expected.relations!.length > 50 && expected.functions!.length > 0 && expected.triggers!.length > 0, 'the description covers the schema');
    assert.deepEqual(await describe(fromTemplate), expected);
  } finally {
    await fromEmpty.close();
    await fromTemplate.close();
  }
});

test('a store started from the template is a store of its own: what one writes, another does not see', async () => {
  const tarball = await template();
  const first = await openDatabase({ startFrom: tarball });
  const second = await openDatabase({ startFrom: tarball });
  try {
    await first.query(`INSERT INTO participants (bic, name, status) VALUES ('BANKDEFFXXX', 'Bank', 'active')`);
    assert.deepEqual(await second.query('SELECT bic FROM participants'), []);
    assert.equal((await first.query('SELECT bic FROM participants')).length, 1);
  } finally {
    await first.close();
    await second.close();
  }
});
