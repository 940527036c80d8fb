/**
 * Versioned migrations: switch/store/migrations/NNN_name.sql, applied in order, each in its own
 * transaction, recorded in schema_migrations with its checksum. Many processes may start at once
 * (Redis mode): a PostgreSQL advisory lock lets one migrate while the others wait. An applied
 * migration whose file has changed is an error: migrations are append-only.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './database.ts';

const directory = join(fileURLToPath(import.meta.url), '..', 'migrations');
/** Arbitrary constant naming the migration lock among the database's advisory locks. */
const MIGRATION_LOCK_KEY = 20261126;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly sha256: string;
}

export function migrations(): Migration[] {
  return readdirSync(directory)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(directory, file), 'utf8');
      return { version: Number(file.slice(0, 3)), name: file.slice(4, -4), sql, sha256: createHash('sha256').update(sql).digest('hex') };
    });
}

/** The schema is older than this code: reading commands never migrate (`clearhouse migrate` does). */
export class SchemaNotCurrentError extends Error {
  override readonly name = 'SchemaNotCurrentError';
}

/** Migrations not applied yet, read only (a role with SELECT alone can run it). */
export async function pendingMigrations(db: Database): Promise<Migration[]> {
  const [exists] = await db.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  const applied = exists?.t ? new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version)) : new Set<number>();
  return migrations().filter((m) => !applied.has(m.version));
}

/** Refuses a store whose schema is not the one this code reads (SchemaNotCurrentError). */
export async function requireCurrentSchema(db: Database): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length > 0) {
    throw new SchemaNotCurrentError(`the store's schema is not up to date (${pending.length} migration(s) pending, from ` +
      `${String(pending[0]!.version).padStart(3, '0')}_${pending[0]!.name}): run \`clearhouse migrate\` first`);
  }
}

/** Bring the schema up to date; returns the versions applied now. */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction((tx) => migrateWithin(tx));
}

/**
 * Bring the schema up to date inside the caller's transaction (a restore creates the schema, loads the
 * backup and migrates past it in one transaction); `upTo`: stop after that version.
 */
export async function migrateWithin(tx: Queryable, upTo = Number.POSITIVE_INFINITY): Promise<number[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied = new Map((await tx.query<{ version: number; sha256: string }>('SELECT version, sha256 FROM schema_migrations'))
    .map((r) => [r.version, r.sha256]));
  const done: number[] = [];
  for (const m of migrations()) {
    if (m.version > upTo) break;
    const known = applied.get(m.version);
    if (known !== undefined) {
      if (known !== m.sha256) throw new Error(`migration ${m.version}_${m.name} was changed after it was applied`);
      continue;
    }
    for (const statement of splitStatements(m.sql)) await tx.query(statement);
    await tx.query('INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)', [m.version, m.name, m.sha256]);
    done.push(m.version);
  }
  return done;
}

/**
 * Split a migration into statements at semicolons that end a line, keeping $$-quoted function bodies
 * whole (parameterised query calls take one statement at a time).
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inDollarQuote = false;
  for (const line of sql.split('\n')) {
    if (/^\s*--/.test(line) && !inDollarQuote) continue;
    current += line + '\n';
    const dollars = (line.match(/\$\$/g) ?? []).length;
    if (dollars % 2 === 1) inDollarQuote = !inDollarQuote;
    if (!inDollarQuote && /;\s*$/.test(line)) {
      statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
