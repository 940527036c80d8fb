/**
 * A fresh, empty PostgreSQL schema for one run that must not see another's data (the simulation's
 * seeds, docs/simulation.md): created on the server of `baseUrl`, returned as a URL whose connections
 * use it as their search_path. `name` is a lower-case identifier chosen by the caller.
 */
import pg from 'pg';

export async function freshSchemaUrl(baseUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a schema name: ${name}`);
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await client.query(`CREATE SCHEMA ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.toString();
}

/** Drop a schema made by freshSchemaUrl (a seed that held: its data is not needed again). */
export async function dropSchema(baseUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a schema name: ${name}`);
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  } finally {
    await client.end();
  }
}

/** How long waitForSessionsGone waits for the server to end a dead process's sessions before it ends them itself. */
const ORPHAN_WAIT_MS_MAX = 10_000;
const ORPHAN_POLL_MS = 50;

/**
 * Wait until the sessions named `applicationName` are gone: a process killed with SIGKILL (the simulation's
 * crash fault) leaves them until the server notices, and an open transaction of theirs still holds row locks
 * (an outbox row mid-delivery) that the dispatcher's SKIP LOCKED would pass over. Past ORPHAN_WAIT_MS_MAX
 * they are ended (pg_terminate_backend): their process is dead.
 */
export async function waitForSessionsGone(baseUrl: string, applicationName: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    for (let waited = 0; ; waited += ORPHAN_POLL_MS) {
      const { rows } = await client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      if (rows[0]!.n === 0) return;
      if (waited >= ORPHAN_WAIT_MS_MAX) await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      await new Promise((resolve) => setTimeout(resolve, ORPHAN_POLL_MS));
    }
  } finally {
    await client.end();
  }
}
