/**
 * `clearhouse serve` without Redis cuts cycles off on schedule with its in-process timers
 * (batch/scheduler.ts TimerScheduler, wired in switch/cli/clearing.ts): a long-running serve on
 * PostgreSQL, a cut-off configured for the next whole minute, a bulk file sent before it. Without
 * any operator command the cycle is cut off at its time, netted, settled (simulator) and its bulk
 * file delivered; SIGTERM then stops serve cleanly. (The BullMQ scheduler's wiring is exercised by
 * test/distributed/serve.test.ts.)
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freshPostgresUrl } from '../engine/support.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const cli = join(root, 'bin', 'clearhouse.js');
/** The cut-off is the first whole minute at least this far ahead: serve is up and the file is in by then. */
const LEAD_MS = 20_000;
const SETTLE_MS = 60_000;
const children = new Set<ChildProcess>();
after(() => { for (const child of children) child.kill('SIGKILL'); });

describe('serve cuts off on schedule (in-process timers)', () => {
  it('a configured cut-off closes, settles and delivers the cycle with no operator command', { timeout: 180_000 }, async () => {
    let cutOff = new Date(Math.ceil((Date.now() + LEAD_MS) / 60_000) * 60_000);
    if (cutOff.getUTCDate() !== new Date().getUTCDate() || cutOff.getUTCHours() + cutOff.getUTCMinutes() === 0) {
      // Too close to midnight UTC for a same-day schedule: wait for the new day.
      await new Promise((resolve) => setTimeout(resolve, 86_400_000 - (Date.now() % 86_400_000) + 5_000));
      cutOff = new Date(Math.ceil((Date.now() + LEAD_MS) / 60_000) * 60_000);
    }
    const hhmm = `${String(cutOff.getUTCHours()).padStart(2, '0')}:${String(cutOff.getUTCMinutes()).padStart(2, '0')}`;
    const work = mkdtempSync(join(tmpdir(), 'clearhouse-schedule-'));
    const config = JSON.parse(readFileSync(join(root, 'config', 'demo-scheme.json'), 'utf8'));
    config.dataDirectory = join(work, 'data');
    config.calendar = { timeZone: 'UTC', cycleDayRollTime: '24:00', holidays: [], weekendDays: [] };
    config.cycles = [hhmm];
    for (const participant of config.participants) participant.connector = { type: 'directory', path: join(work, 'data', 'mailboxes', participant.bic) };
    writeFileSync(join(work, 'scheme.json'), JSON.stringify(config));
    const databaseUrl = await freshPostgresUrl();
    const env = { ...process.env, DATABASE_URL: databaseUrl, CLEARHOUSE_CONFIG: join(work, 'scheme.json'), REDIS_URL: '' };
    const sent = spawnSync(process.execPath, [cli, 'bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX,BANKNL2AXXX', '--count', '20'],
      { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(sent.status, 0, sent.stderr);

    const serve = spawn(process.execPath, [cli, 'serve', '--simulate-settlement'], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(serve);
    let stderr = '';
    serve.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => serve.on('close', (code) => { children.delete(serve); resolve(code); }));

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const state = async () => (await db.query<{ id: string; state: string; closed_at: Date | null }>(
        'SELECT id::text, state, closed_at FROM cycles ORDER BY id').catch(() => ({ rows: [] }))).rows;
      let cycles = await state();
      while (Date.now() < cutOff.getTime() + SETTLE_MS && !(cycles.length === 2 && cycles[0]!.state === 'SETTLED')) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        cycles = await state();
      }
      assert.deepEqual(cycles.map((c) => c.state), ['SETTLED', 'OPEN'], `cycles at ${new Date().toISOString()} (cut-off ${hhmm}):\n${stderr.slice(-1500)}`);
      assert.ok(cycles[0]!.closed_at!.getTime() >= cutOff.getTime(), 'not cut off before its time');
      const [{ n }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments WHERE state = 'SETTLED'`)).rows as [{ n: number }];
      assert.equal(n, 20);
      for (const receiver of ['BANKFRPPXXX', 'BANKNL2AXXX']) {
        const delivered = readdirSync(join(work, 'data', 'mailboxes', receiver, 'outbound'));
        assert.equal(delivered.filter((f) => f.startsWith('pacs.008')).length, 1, `${receiver}: one bulk file: ${delivered.join(', ')}`);
      }
    } finally {
      await db.end();
      serve.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr.slice(-1500));
  });
});
