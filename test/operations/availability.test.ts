/**
 * switch/store/availability.ts: which errors mean "the database cannot be reached now" (waited out
 * by serve) and which are real errors (thrown); the outage's backoff steps, one warning each, and
 * the line when the database is back. The classification is checked against errors node-postgres
 * really raises: a refused connection, a terminated backend, a syntax error, a unique violation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import pg from 'pg';
import { DatabaseOutage, isDatabaseUnavailable } from '../../switch/store/availability.ts';
import { limits } from '../../switch/limits.ts';
import type { LogFields, Logger } from '../../switch/log.ts';

const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('database availability', () => {
  it('unreachable: refused connection, terminated backend; not: SQL errors', async () => {
    const nowhere = new URL(base);
    nowhere.host = `127.0.0.1:${await freePort()}`;
    const refused = await caught(() => new pg.Client({ connectionString: nowhere.toString() }).connect());
    assert.equal(isDatabaseUnavailable(refused), true, String(refused));

    const victim = new pg.Client({ connectionString: base, application_name: `availability-${process.pid}` });
    victim.on('error', () => {});
    await victim.connect();
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    try {
      const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const running = caught(() => victim.query('SELECT pg_sleep(10)'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      assert.equal(isDatabaseUnavailable(await running), true);
      assert.equal(isDatabaseUnavailable(await caught(() => victim.query('SELECT 1'))), true, 'a client whose connection died');

      assert.equal(isDatabaseUnavailable(await caught(() => admin.query('SELEC 1'))), false, 'a syntax error is a bug');
      await admin.query('CREATE TEMP TABLE once (id int PRIMARY KEY)');
      await admin.query('INSERT INTO once VALUES (1)');
      assert.equal(isDatabaseUnavailable(await caught(() => admin.query('INSERT INTO once VALUES (1)'))), false, 'a unique violation is not an outage');
    } finally {
      await admin.end();
      // The victim's connection is gone: ending it waits for nothing that will come.
      (victim as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }
    assert.equal(isDatabaseUnavailable(new Error('positions do not sum to zero')), false);
    assert.equal(isDatabaseUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })), true);
    assert.equal(isDatabaseUnavailable(undefined), false);
  });

  it('backoff doubles to its bound, one warning per step, one line when back', () => {
    let now = 0;
    const records: Array<{ level: string; fields: LogFields; message: string }> = [];
    const log: Logger = {
      info: (fields, message) => records.push({ level: 'info', fields, message }),
      warn: (fields, message) => records.push({ level: 'warn', fields, message }),
      error: (fields, message) => records.push({ level: 'error', fields, message }),
      child: () => log,
    };
    const outage = new DatabaseOutage(log, () => now);
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(outage.failed(new Error('a bug'), 'pass'), undefined, 'not an outage: the caller throws it');
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const delay = outage.failed(down, 'pass')!;
      delays.push(delay);
      now += delay;
    }
    assert.equal(delays[0], limits.databaseReconnectDelayMs);
    assert.ok(delays.every((d, i) => i === 0 || d === Math.min(delays[i - 1]! * 2, limits.databaseReconnectDelayMsMax)));
    assert.equal(delays.at(-1), limits.databaseReconnectDelayMsMax);
    assert.equal(records.filter((r) => r.level === 'warn').length, 12);
    // Many failures within one step (several jobs at once) are one warning.
    for (let i = 0; i < 5; i++) outage.failed(down, 'job');
    assert.equal(records.filter((r) => r.level === 'warn').length, 13);
    outage.succeeded();
    outage.succeeded();
    assert.equal(records.filter((r) => r.level === 'info' && /reachable again/.test(r.message)).length, 1);
    assert.equal(outage.down, false);
  });
});
