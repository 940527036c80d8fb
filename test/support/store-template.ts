/**
 * A migrated PGlite store that the tests' in-memory stores start from, instead of each making an empty
 * cluster (PGlite's initdb) and migrating it: made once per test run (bin/run-tests.js's scratch
 * directory, CLEARHOUSE_TEST_SCRATCH; once per process when a test file runs alone) and loaded into
 * each new store (openDatabase's test-only `startFrom`, PGlite's loadDataDir).
 *
 * Why: an in-memory store opened and migrated costs about 4 CPU s (initdb about 3, the migrations about
 * 1), one loaded from this template about 1.4 (docs/performance.md, "Test suite"), and the engine tests
 * open hundreds. The template is made by the production migrations (migrateWithin, from empty), and the
 * store opened from it still runs migrate(), which checks every applied migration's checksum against
 * its file; test/store/template.test.ts shows a store made from it indistinguishable from one migrated
 * from empty (catalog and rows). Tests that test migrating itself open stores without it.
 *
 * CLEARHOUSE_TEST_STORE_TEMPLATE=off: no template, every store made by initdb and migrated from empty
 * (to measure what the template saves, or to rule it out when a test fails).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { migrateWithin, migrations } from '../../switch/store/migrate.ts';

let template: Promise<Blob> | undefined;

/**
 * The migrated store's data directory as a tarball (PGlite dumpDataDir), for openDatabase({ startFrom });
 * undefined with CLEARHOUSE_TEST_STORE_TEMPLATE=off.
 */
export function migratedTemplate(): Promise<Blob | undefined> {
  if (process.env.CLEARHOUSE_TEST_STORE_TEMPLATE === 'off') return Promise.resolve(undefined);
  template ??= shared();
  return template;
}

/** The run's template file, keyed by the migrations (name and checksum): made by the first process that needs it. */
async function shared(): Promise<Blob> {
  const key = createHash('sha256').update(migrations().map((m) => `${m.version} ${m.name} ${m.sha256}\n`).join('')).digest('hex').slice(0, 16);
  const scratch = process.env.CLEARHOUSE_TEST_SCRATCH;
  const file = scratch === undefined ? undefined : join(scratch, `pglite-migrated-${key}.tar`);
  if (file !== undefined && existsSync(file)) return new Blob([readFileSync(file)]);
  const made = await makeTemplate();
  if (file !== undefined) {
    // Written whole under another name, then renamed: a process reading it never sees half a file (two
    // processes making it at once both write the same template; the last rename wins).
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, new Uint8Array(await made.arrayBuffer()));
    renameSync(partial, file);
  }
  return made;
}

/** An empty PGlite cluster migrated by the production migrations, dumped (uncompressed: loading it is then cheapest). */
export async function makeTemplate(): Promise<Blob> {
  const pglite = await PGlite.create();
  try {
    await pglite.transaction((tx) => migrateWithin({
      query: async <R>(sql: string, params?: readonly unknown[]) => (await tx.query<R>(sql, params as unknown[])).rows,
    }));
    return await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
}
