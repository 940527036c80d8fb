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
