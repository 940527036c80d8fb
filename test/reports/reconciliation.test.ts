/**
 * Reconciliation (docs/reports.md) of a simulated scheme day on PostgreSQL (switch/sim/day.ts: batch
 * and real-time payments, unwinds, a settlement agent with books), judged from the outside: the
 * agent's own books (the ACSC answers it gave) and the bulk pacs.008 files in the creditors'
 * mailboxes, never the switch's tables. Then rows are tampered with — a settled instruction's amount,
 * a settled payment's amount, a delivery record deleted — and each is flagged naming what broke, with
 * exit code 1 and a `mismatches` list from the CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { simulateDay, type SimulationResult } from '../../switch/sim/day.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { loadConfig } from '../../switch/config.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { parseXml as parsePacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseAmount } from '../../switch/iso/amount.ts';
import { reconciliationReport, statisticsReport, type ReconciliationReport } from '../../switch/reports/index.ts';
import { freshPostgresUrl } from '../engine/support.ts';
import { cli, root } from '../support/cli-workspace.ts';
import { AlertSink, reconcileClosedDay } from '../../switch/notify/alert-sink.ts';
import { ManualClock } from '../../switch/clock.ts';
import { silentLogger } from '../../switch/log.ts';

const DAY = '2026-11-26';
const config = loadConfig(join(root, 'config', 'demo-scheme.json'));
let xsd: XsdValidator;
let url: string;
let day: SimulationResult;
let out: string;

before(async () => {
  xsd = new XsdValidator();
  url = await freshPostgresUrl();
  out = mkdtempSync(join(tmpdir(), 'clearhouse-reports-'));
  // Seed 3: settled batch files, real-time payments, unwinds and a cancelled payment on one day (held by the judge).
  day = await simulateDay({ seed: 3, out, xsd, databaseUrl: url });
  assert.ok(day.verdict.ok, day.verdict.problems.join('\n'));
});
after(async () => { await xsd.close(); });

async function reconcile(participant?: string): Promise<ReconciliationReport> {
  const engine = await Engine.open({ config, databaseUrl: url, readOnly: true });
  try {
    return await reconciliationReport(engine, { period: { date: DAY }, ...(participant ? { participant } : {}) });
  } finally {
    await engine.close();
  }
}

async function tamper<T>(sql: string, params: unknown[], undo: string, check: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const changed = await client.query(sql, params);
    assert.equal(changed.rowCount, 1, `tampering changed ${changed.rowCount} rows: ${sql}`);
    try {
      return await check();
    } finally {
      await client.query(undo, params);
    }
  } finally {
    await client.end();
  }
}

const minor = (value: string, currency: string): bigint => {
  const parsed = parseAmount(value, currency);
  assert.ok(parsed.ok);
  return parsed.minor;
};

/** Bulk pacs.008 files (not real-time forwards) each creditor holds, dated DAY: transactions and sum per currency. */
function bulkFilesInMailboxes(): Map<string, { count: number; sumMinor: bigint }> {
  const found = new Map<string, { count: number; sumMinor: bigint }>();
  const boxes = join(out, 'mailboxes');
  for (const bic of readdirSync(boxes)) {
    for (const [side, prefix] of [['outbound', ''], ['archive', 'out-']] as const) {
      const directory = join(boxes, bic, side);
      if (!existsSync(directory)) continue;
      for (const name of readdirSync(directory).filter((n) => n.startsWith(`${prefix}pacs.008`))) {
        const message = parsePacs008(readFileSync(join(directory, name), 'utf8'));
        const instant = message.transactions.every((t) => {
          const i = t.paymentTypeInformation?.localInstrument;
          return i !== undefined && 'code' in i && i.code === 'INST';
        });
        if (instant || message.groupHeader.interbankSettlementDate !== DAY) continue;
        for (const t of message.transactions) {
          const key = `${bic} ${t.interbankSettlementAmount.currency}`;
          const had = found.get(key) ?? { count: 0, sumMinor: 0n };
          found.set(key, { count: had.count + 1, sumMinor: had.sumMinor + minor(t.interbankSettlementAmount.value, t.interbankSettlementAmount.currency) });
        }
      }
    }
  }
  return found;
}

const daySection = (report: ReconciliationReport) => report.sections.find((s) => s.name === `business day ${DAY}`)!;

describe('reconciliation of a simulated day (PostgreSQL)', () => {
  it('a clean day reconciles, every identity checked, and its figures match the agent\'s books and the creditors\' mailboxes', async () => {
    const report = await reconcile();
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.ok, true);
    for (const [identity, count] of Object.entries(report.checked)) assert.ok(count > 0, `${identity} never checked`);
    const section = daySection(report);
    // The settlement agent's books: what it booked (ACSC) per participant and currency.
    const booked = new Map<string, bigint>();
    for (const e of day.judged.ledger.filter((l) => l.status === 'ACSC')) {
      booked.set(`${e.participant} ${e.currency}`, (booked.get(`${e.participant} ${e.currency}`) ?? 0n) + e.amountMinor);
    }
    assert.ok(booked.size > 0);
    for (const [key, amount] of booked) {
      const [bic, currency] = key.split(' ');
      const row = section.rows.find((r) => r.participant === bic && r.currency === currency);
      assert.equal(row?.figures.agentConfirmed.sumMinor, amount, `${key}: confirmed by the agent`);
    }
    // The bulk files the creditors received: count and sum per creditor and currency.
    const files = bulkFilesInMailboxes();
    assert.ok(files.size > 0, 'the day delivered bulk files');
    for (const row of section.rows) {
      const inMailbox = files.get(`${row.participant} ${row.currency}`) ?? { count: 0, sumMinor: 0n };
      assert.deepEqual(row.figures.deliveredBatch, inMailbox, `${row.participant} ${row.currency}: delivered in bulk files`);
      assert.deepEqual(row.figures.incomingSettledBatch, inMailbox, `${row.participant} ${row.currency}: settled batch credits`);
    }
    // Each cycle's positions sum to zero and equal the agent-confirmed amounts (settled cycles).
    for (const s of report.sections.filter((x) => x.cycle?.state === 'SETTLED')) {
      for (const r of s.rows) assert.equal(r.figures.position.sumMinor, r.figures.agentConfirmed.sumMinor, `${s.name} ${r.participant} ${r.currency}`);
    }
  });

  it('the day\'s statistics on PostgreSQL: settlement failures are the agent\'s refusals, and every breakdown adds up to the totals', async () => {
    const engine = await Engine.open({ config, databaseUrl: url, readOnly: true });
    try {
      const stats = await statisticsReport(engine, { period: { date: DAY } });
      const refused = day.judged.ledger.filter((e) => e.status === 'RJCT')
        .map((e) => `${e.cycle} ${e.participant} ${e.currency} ${e.amountMinor < 0n ? -e.amountMinor : e.amountMinor}`).sort();
      assert.deepEqual(stats.settlementFailures.map((f) => `${f.cycle} ${f.participant} ${f.currency} ${f.amountMinor}`).sort(), refused);
      const total = (rows: ReadonlyArray<{ currency: string; count: number; sumMinor: bigint }>) => {
        const byCurrency = new Map<string, [number, bigint]>();
        for (const r of rows) {
          const [c, s] = byCurrency.get(r.currency) ?? [0, 0n];
          byCurrency.set(r.currency, [c + r.count, s + r.sumMinor]);
        }
        return byCurrency;
      };
      const totals = new Map(stats.totals.map((t) => [t.currency, [t.count, t.sumMinor]]));
      assert.ok(totals.size === 2, 'EUR and SEK');
      for (const breakdown of [stats.sentByParticipant, stats.receivedByParticipant, stats.byService, stats.series]) assert.deepEqual(total(breakdown), totals);
      // Unwinds per debtor: the reconciliation's unwound figures, from the same day.
      const reconciliation = daySection(await reconciliationReport(engine, { period: { date: DAY } }));
      const unwound = new Map<string, number>();
      for (const u of stats.unwinds) unwound.set(`${u.participant} ${u.currency}`, (unwound.get(`${u.participant} ${u.currency}`) ?? 0) + u.count);
      for (const row of reconciliation.rows) assert.equal(unwound.get(`${row.participant} ${row.currency}`) ?? 0, row.figures.historyUnwound.count);
      assert.ok(stats.unwinds.length > 0 && stats.unwinds.every((u) => /^[A-Z0-9]{4}$/.test(u.reason)));
    } finally {
      await engine.close();
    }
  });

  it('the command refuses what it cannot answer with exit 2 and one line', () => {
    const env = { ...process.env, DATABASE_URL: url, REDIS_URL: '', CLEARHOUSE_CONFIG: '' };
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'report', ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
    for (const [args, message] of [
      [['reconciliation', '--format', 'json'], /exactly one of --date, --month, --cycle/],
      [['statistics', '--date', DAY, '--format', 'pdf'], /--format pdf needs --out/],
      [['ledger', '--date', DAY], /unknown report "ledger"/],
      [['reconciliation', '--cycle', '999999'], /cycle 999999 does not exist/],
      [['statistics', '--date', '2026-02-30x'], /not a date/],
    ] as const) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('one participant\'s reconciliation holds only its own rows', async () => {
    const report = await reconcile('BANKFRPPXXX');
    assert.equal(report.ok, true);
    for (const s of report.sections) for (const r of s.rows) assert.equal(r.participant, 'BANKFRPPXXX');
    assert.ok(daySection(report).rows.length > 0);
  });

  it('a settled instruction\'s amount changed in the ledger is flagged, naming the instruction and participant', async () => {
    const report = await tamper(
      `UPDATE settlement_instructions SET amount_minor = amount_minor + 100 WHERE id = (SELECT min(id) FROM settlement_instructions WHERE state = 'SETTLED') AND $1::int = 1`,
      [1], `UPDATE settlement_instructions SET amount_minor = amount_minor - 100 WHERE id = (SELECT min(id) FROM settlement_instructions WHERE state = 'SETTLED') AND $1::int = 1`,
      () => reconcile());
    assert.equal(report.ok, false);
    const identities = new Set(report.mismatches.map((m) => m.identity));
    assert.ok(identities.has('instructionMessage') && identities.has('agentConfirmed'), [...identities].join(', '));
    const flagged = report.mismatches.find((m) => m.identity === 'instructionMessage')!;
    assert.match(flagged.detail, /instruction C\d+-A\d+-[A-Z0-9]+-[A-Z]{3}/);
    assert.ok(flagged.participant && flagged.detail.includes(flagged.participant));
    assert.equal((await reconcile()).ok, true, 'undone, the day reconciles again');
  });

  it('a settled payment\'s amount changed is flagged against its cycle\'s position and the bulk file', async () => {
    const report = await tamper(
      `UPDATE payments SET amount_minor = amount_minor + $1 WHERE id = (SELECT min(id) FROM payments_effective WHERE state = 'SETTLED' AND mode = 'batch')`,
      [7], `UPDATE payments SET amount_minor = amount_minor - $1 WHERE id = (SELECT min(id) FROM payments_effective WHERE state = 'SETTLED' AND mode = 'batch')`,
      () => reconcile());
    assert.equal(report.ok, false);
    const identities = new Set(report.mismatches.map((m) => m.identity));
    assert.ok(identities.has('positionPayments'), [...identities].join(', '));
    assert.ok(identities.has('deliveredSettled'), [...identities].join(', '));
    assert.ok(report.mismatches.every((m) => m.section.length > 0 && m.expected !== m.actual));
  });

  it('a deleted delivery is flagged naming the bulk file, and the CLI exits 1 with the mismatches in JSON', async () => {
    const deleted = `DELETE FROM deliveries WHERE id = (SELECT min(d.id) FROM deliveries d JOIN outbox o ON o.id = d.outbox_id JOIN messages m ON m.id = o.message_id
                       WHERE m.message_type = 'pacs.008.001.08' AND d.ok AND m.message_id = $1) RETURNING *`;
    const file = await (async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const rows = await client.query(`SELECT m.message_id, m.participant FROM messages m JOIN outbox o ON o.message_id = m.id
          WHERE m.direction = 'out' AND m.message_type = 'pacs.008.001.08' AND position('<IntrBkSttlmDt>${DAY}' in convert_from(COALESCE(m.bytes, (SELECT c.head FROM message_compositions c WHERE c.message_id = m.id)), 'UTF8')) > 0
            AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.forwarded_message_id = m.message_id) ORDER BY m.id LIMIT 1`);
        return rows.rows[0] as { message_id: string; participant: string };
      } finally {
        await client.end();
      }
    })();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const [removed] = (await client.query(deleted, [file.message_id])).rows as Array<Record<string, unknown>>;
    assert.ok(removed, 'a delivery record to delete');
    try {
      const report = await reconcile();
      const flagged = report.mismatches.find((m) => m.identity === 'bulkFileDelivered');
      assert.ok(flagged, JSON.stringify(report.mismatches));
      assert.ok(flagged.detail.includes(file.message_id) && flagged.participant === file.participant, flagged.detail);
      assert.ok(report.mismatches.some((m) => m.identity === 'deliveredSettled' && m.participant === file.participant));
      const run = spawnSync(process.execPath, [cli, 'report', 'reconciliation', '--date', DAY, '--format', 'json'],
        { cwd: root, env: { ...process.env, DATABASE_URL: url, REDIS_URL: '', CLEARHOUSE_CONFIG: '' }, encoding: 'utf8', timeout: 120_000 });
      assert.equal(run.status, 1, run.stderr);
      const json = JSON.parse(run.stdout) as { ok: boolean; mismatches: Array<{ identity: string; detail: string }> };
      assert.equal(json.ok, false);
      assert.ok(json.mismatches.some((m) => m.identity === 'bulkFileDelivered' && m.detail.includes(file.message_id)));
      assert.match(run.stderr, /mismatch/);
    } finally {
      await client.query(`INSERT INTO deliveries (id, outbox_id, attempt, ok, detail, at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [removed.id, removed.outbox_id, removed.attempt, removed.ok, removed.detail, removed.at]);
      await client.end();
    }
    const clean = spawnSync(process.execPath, [cli, 'report', 'reconciliation', '--date', DAY, '--format', 'csv'],
      { cwd: root, env: { ...process.env, DATABASE_URL: url, REDIS_URL: '', CLEARHOUSE_CONFIG: '' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stdout, /^record,section,participant,currency,name,count,amount_minor,amount,detail\r\n/);
    assert.doesNotMatch(clean.stdout, /\r\nmismatch,/);
  });
  it('serve reconciles each closed business day once, from the durable rows, and alerts only a mismatch', async () => {
    // The day's own clock: an engine opened later than the day would close it at start-up, which is not this test's business.
    const engine = await Engine.open({ config, databaseUrl: url, clock: new ManualClock(`${DAY}T12:00:00Z`) });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const store = engine.notifications();
      const { id } = await store.subscribe({ channel: 'email', target: 'ops@example.test', events: ['alert.reconciliation-mismatch'] },
        { actor: 'test-operator', reason: 'reconciliation alerts' });
      const pending = async (): Promise<number> => {
        const mine = (await store.subscriptions({})).find((s) => s.id === id);
        assert.ok(mine, 'the subscription is listed');
        return Number(mine.pending);
      };
      const recorded = async (): Promise<Array<{ mismatches: number | null }>> =>
        (await client.query('SELECT mismatches FROM day_reconciliations WHERE business_date = $1::date', [DAY])).rows as Array<{ mismatches: number | null }>;
      // The day closed: its marker row, as the close writes it (the close's statements are not this test's business).
      await client.query(`INSERT INTO business_days (business_date, closed_at, cycles, statements) VALUES ($1::date, now(), 1, 0)
                          ON CONFLICT (business_date) DO NOTHING`, [DAY]);
      const closed = { event: 'business-day.closed', businessDate: DAY, cycles: 1, statements: 1 } as const;
      const clean = new AlertSink(silentLogger);
      clean.attach(store, reconcileClosedDay(engine));
      await clean.settled();
      assert.equal(await pending(), 0, 'a day that reconciles raises no alert');
      assert.deepEqual(await recorded(), [{ mismatches: 0 }], 'the reconciliation is recorded');

      // A bulk file's delivery record (not a real-time forward's), as the test above.
      const [removed] = (await client.query(`DELETE FROM deliveries WHERE id = (SELECT min(d.id) FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
        JOIN messages m ON m.id = o.message_id WHERE m.direction = 'out' AND m.message_type = 'pacs.008.001.08' AND d.ok
          AND position('<IntrBkSttlmDt>${DAY}' in convert_from(COALESCE(m.bytes, (SELECT c.head FROM message_compositions c WHERE c.message_id = m.id)), 'UTF8')) > 0
          AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.forwarded_message_id = m.message_id)) RETURNING *`)).rows as Array<Record<string, unknown>>;
      assert.ok(removed, 'a delivery record to delete');
      try {
        clean.observe(closed);
        await clean.settled();
        assert.equal(await pending(), 0, 'a day recorded as reconciled is not reconciled again');
        // As if the process had stopped after the close and before the reconciliation: no record of it.
        await client.query('DELETE FROM day_reconciliations WHERE business_date = $1::date', [DAY]);
        // Two serve processes start at once: each reconciles the unrecorded day, one records it with its alert.
        const first = new AlertSink(silentLogger);
        const second = new AlertSink(silentLogger);
        first.attach(store, reconcileClosedDay(engine));
        second.attach(store, reconcileClosedDay(engine));
        await Promise.all([first.settled(), second.settled()]);
        assert.equal(await pending(), 1, 'the mismatch is one alert for the operators');
        const [record, ...others] = await recorded();
        assert.ok(record && others.length === 0 && (record.mismatches ?? 0) > 0, `recorded with its mismatches: ${JSON.stringify(record)}`);
        first.observe(closed);
        await first.settled();
        assert.equal(await pending(), 1, 'the same day reported again is the same alert');
      } finally {
        await client.query(`INSERT INTO deliveries (id, outbox_id, attempt, ok, detail, at) VALUES ($1, $2, $3, $4, $5, $6)`,
          [removed.id, removed.outbox_id, removed.attempt, removed.ok, removed.detail, removed.at]);
      }
    } finally {
      await client.end();
      await engine.close();
    }
  });
});
