/**
 * Counts and look-ups the demo and operators show (switch/cli/demo.ts). Reading never writes.
 */
import type { Queryable } from '../store/database.ts';

/** Payments of a cycle unwound for a cap breach (AM23), counted per debtor. */
export function unwoundByDebtor(db: Queryable, cycleId: bigint): Promise<{ n: number; bic: string }[]> {
  return db.query<{ n: number; bic: string }>(
    "SELECT COUNT(*)::int AS n, debtor_agent AS bic FROM payments WHERE cycle_id = $1 AND reason_code = 'AM23' GROUP BY debtor_agent", [cycleId]);
}

/** Payments per state. */
export function paymentStateCounts(db: Queryable): Promise<{ state: string; n: number }[]> {
  return db.query<{ state: string; n: number }>('SELECT state, COUNT(*)::int AS n FROM payments_effective GROUP BY state ORDER BY state');
}

/** Stored messages per direction (in, out). */
export function messageDirectionCounts(db: Queryable): Promise<{ direction: string; n: number }[]> {
  return db.query<{ direction: string; n: number }>('SELECT direction, COUNT(*)::int AS n FROM messages GROUP BY direction ORDER BY direction');
}

/** What became of the real-time payments: committed, rejected by the creditor bank (AC04), timed out (AB05), refused. */
export async function realtimeOutcomes(db: Queryable): Promise<{ committed: number; rejectedByCreditor: number; timedOut: number; refused: number }> {
  const count = async (sql: string) => (await db.query<{ n: number }>(sql))[0]!.n;
  return {
    committed: await count("SELECT COUNT(*)::int AS n FROM payments_effective WHERE mode = 'realtime' AND state = 'COMMITTED'"),
    rejectedByCreditor: await count("SELECT COUNT(*)::int AS n FROM payments_effective WHERE mode = 'realtime' AND state = 'RELEASED' AND reason_code = 'AC04'"),
    timedOut: await count("SELECT COUNT(*)::int AS n FROM payments WHERE mode = 'realtime' AND reason_code = 'AB05'"),
    refused: await count("SELECT COUNT(*)::int AS n FROM payments_effective WHERE mode = 'realtime' AND state = 'REJECTED'"),
  };
}

export interface SettledPayment {
  readonly transaction_id: string;
  readonly uetr: string;
  readonly end_to_end_id: string;
  readonly creditor_agent: string;
  readonly amount_minor: bigint;
  readonly currency: string;
}

/** The first settled batch payment `debtor` sent, if any. */
export async function firstSettledBatchPayment(db: Queryable, debtor: string): Promise<SettledPayment | undefined> {
  const [settled] = await db.query<SettledPayment>(
    "SELECT transaction_id, uetr, end_to_end_id, creditor_agent, amount_minor, currency FROM payments_effective WHERE state = 'SETTLED' AND mode = 'batch' AND debtor_agent = $1 ORDER BY sequence LIMIT 1",
    [debtor]);
  return settled;
}

/** How many of `transactionIds` are warehoused: accepted, future-dated, in no cycle yet (demo). */
export async function warehousedCount(db: Queryable, transactionIds: readonly string[]): Promise<number> {
  const [row] = await db.query<{ n: number | string }>(
    "SELECT COUNT(*) AS n FROM payments_effective WHERE state = 'ACCEPTED' AND cycle_id IS NULL AND transaction_id = ANY($1::text[])", [[...transactionIds]]);
  return Number(row?.n ?? 0);
}

/**
 * Of the given SHA-256s, those of files stored as received from `sender` (messages, direction 'in'):
 * after a restore, an archived file whose bytes the store does not hold arrived after the backup and
 * is read again (connectors/reread.ts).
 */
export async function receivedFilesStored(db: Queryable, sender: string, sha256s: readonly string[]): Promise<Set<string>> {
  if (sha256s.length === 0) return new Set();
  const rows = await db.query<{ sha256: string }>(
    "SELECT DISTINCT sha256 FROM messages WHERE direction = 'in' AND participant = $1 AND sha256 = ANY ($2::text[])", [sender, [...sha256s]]);
  return new Set(rows.map((r) => r.sha256));
}
