/**
 * The floor of the batch benchmark (issue 15): the least work any switch must do for the same
 * payments, measured on this machine in the same run as our own figure, so that the two are compared
 * as a ratio rather than as absolute times (which vary with the load of the shared machine).
 *
 *  xmllint  native libxml2 `xmllint --noout --stream --schema` over the same inbound files, one after
 *           the other (CPU of the child processes, from the shell's `times`);
 *  copy     PostgreSQL COPY of as many rows of about 200 bytes into a scratch table with a primary key
 *           and two unique indexes, then two whole-table state updates (netting, settlement), each its
 *           own durable transaction (CPU of this run's backend and of the server's background
 *           processes: WAL writer, checkpointer);
 *  fsync    the outbound bulk files written (as many bytes as the inbound files) with an fsync each
 *           (CPU of this process).
 *
 * The floor in payments/s is the payments over the floor's CPU seconds spread over every core: a
 * ceiling no design on this machine reaches, which is why a ratio of about a third is the target.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface FloorPart { readonly wallS: number; readonly cpuS: number | null }

export interface FloorResult {
  readonly payments: number;
  readonly xmllint: FloorPart;
  readonly copy: FloorPart & { readonly copyWallS: number; readonly updatesWallS: number };
  readonly fsync: FloorPart & { readonly bytes: number };
  readonly cpuS: number;
  readonly cores: number;
  /** payments × cores ÷ floor CPU seconds. */
  readonly paymentsPerSecond: number;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** "1m2.345s" (bash's `times`) in seconds. */
function shellSeconds(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  if (!match) throw new Error(`unexpected times output: ${text}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Native xmllint --stream --schema over each file in turn; CPU of the children as bash counts them. */
export function xmllintFloor(schema: string, files: readonly string[]): FloorPart {
  const started = performance.now();
  const script = `for f in "$@"; do xmllint --noout --stream --schema '${schema}' "$f" 2>/dev/null || { echo "invalid: $f" >&2; exit 1; }; done; times`;
  const result = spawnSync('bash', ['-c', script, 'floor', ...files], { encoding: 'utf8' });
  const wallS = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`xmllint floor: ${result.stderr.trim() || `exit ${result.status}`}`);
  // `times`: the shell's user and system time, then its children's.
  const children = result.stdout.trim().split('\n').at(-1)!.split(/\s+/);
  return { wallS: round(wallS), cpuS: round(shellSeconds(children[0]!) + shellSeconds(children[1]!)) };
}

/** The bulk files' bytes written afresh with an fsync each, then removed. */
export function fsyncFloor(directory: string, files: readonly string[]): FloorPart & { bytes: number } {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const contents = files.map((f) => readFileSync(f));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let bytes = 0;
  contents.forEach((content, i) => {
    const fd = openSync(join(directory, `bulk-${i}.xml`), 'w');
    try {
      for (let offset = 0; offset < content.length;) offset += writeSync(fd, content, offset, content.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    bytes += content.length;
  });
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  rmSync(directory, { recursive: true, force: true });
  return { wallS: round(wallS), cpuS: round((cpu.user + cpu.system) / 1e6), bytes };
}

/** Rows of about 200 bytes, like a narrow payments row: key, message, two unique business keys, parties, amount, state. */
function* copyRows(count: number): Generator<string> {
  const chunk = 2_000;
  for (let start = 0; start < count; start += chunk) {
    let text = '';
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      const bank = `BNK${String.fromCharCode(65 + (i % 20))}DEFFXXX`;
      const uetr = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      text += `${i + 1}\t${1 + Math.floor(i / 10_000)}\t${bank}\tTX-${bank.slice(0, 8)}-${String(i).padStart(10, '0')}\t` +
        `E2E-${String(i).padStart(12, '0')}\t${uetr}\tBNK${String.fromCharCode(65 + ((i + 7) % 20))}FRFFXXX\tEUR\t${(i * 7919) % 10_000_000}\t` +
        `2026-12-07\tACCEPTED\t${i + 1}\tDE89370400440532013000\n`;
    }
    yield text;
  }
}

/**
 * COPY `count` rows into a scratch table with a primary key and two unique indexes, then two whole-table
 * state updates, each a transaction of its own; `url` names this run's sessions (application_name) for
 * `cpuOf`, which returns the PostgreSQL CPU seconds spent while `work` ran.
 */
export async function copyFloor(url: string, count: number,
  cpuOf: (work: () => Promise<void>) => Promise<number | null>): Promise<FloorPart & { copyWallS: number; updatesWallS: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE floor_payments (
      id bigint PRIMARY KEY, message_id bigint NOT NULL, debtor_agent text NOT NULL, transaction_id text NOT NULL,
      end_to_end_id text NOT NULL, uetr uuid NOT NULL, creditor_agent text NOT NULL, currency text NOT NULL,
      amount_minor bigint NOT NULL, settlement_date date NOT NULL, state text NOT NULL, sequence bigint NOT NULL, debtor_account text NOT NULL)`);
    await client.query('CREATE UNIQUE INDEX floor_payments_tx ON floor_payments (debtor_agent, transaction_id)');
    await client.query('CREATE UNIQUE INDEX floor_payments_uetr ON floor_payments (uetr)');
    let copyWallS = 0, updatesWallS = 0;
    const started = performance.now();
    const cpuS = await cpuOf(async () => {
      await pipeline(Readable.from(copyRows(count)), client.query(copyFrom('COPY floor_payments FROM STDIN')));
      copyWallS = (performance.now() - started) / 1000;
      await client.query("UPDATE floor_payments SET state = 'NETTED'");
      await client.query("UPDATE floor_payments SET state = 'SETTLED'");
      updatesWallS = (performance.now() - started) / 1000 - copyWallS;
    });
    const [row] = (await client.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM floor_payments WHERE state = 'SETTLED'")).rows;
    if (row!.n !== count) throw new Error(`copy floor: ${row!.n} of ${count} rows settled`);
    return { wallS: round(copyWallS + updatesWallS), cpuS: cpuS === null ? null : round(cpuS), copyWallS: round(copyWallS), updatesWallS: round(updatesWallS) };
  } finally {
    await client.end();
  }
}

export function floorResult(payments: number, xmllint: FloorPart, copy: FloorResult['copy'], fsync: FloorResult['fsync']): FloorResult {
  // Where the server's CPU cannot be read (a remote server), its wall time stands in.
  const cpuS = (xmllint.cpuS ?? xmllint.wallS) + (copy.cpuS ?? copy.wallS) + (fsync.cpuS ?? fsync.wallS);
  const cores = cpus().length;
  return { payments, xmllint, copy, fsync, cpuS: round(cpuS), cores, paymentsPerSecond: Math.round(payments * cores / cpuS) };
}
