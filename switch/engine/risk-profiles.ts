/**
 * Loading a participant's risk profiles (docs/risk.md "Reference data"): the file's bytes are streamed
 * through, split into lines, parsed strictly (switch/risk/profiles.ts) and inserted in batches of
 * PROFILE_BATCH rows, all in ONE transaction: a bad line (or a duplicate id) refuses the whole file with
 * its line number and nothing is loaded. The version is a whole snapshot of the participant's profiles,
 * in force from its effective time: at once in the engine that loaded it, within the register's poll
 * period in every other (the stage keeps which version is in force in memory: risk-reference.ts; no restart).
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/database.ts';
import { checkHeader, parseProfileLine, ProfileFileError, type ProfileFormat, type ProfileLine } from '../risk/profiles.ts';
import type { EngineContext } from './context.ts';
import { recordOperatorAction } from './operator-actions.ts';
import { bumpRiskReference, noteRiskReferenceChange } from './risk-reference.ts';
import { participantOf } from '../config.ts';

/** Rows per INSERT: large enough that 1 million profiles take 200 statements, small enough to bound memory. */
const PROFILE_BATCH = 5_000;
/** Longest line accepted: an account line is under 120 bytes; a longer one is not a profile. */
const LINE_BYTES_MAX = 1_024;

export interface ProfileLoad {
  readonly participant: string;
  readonly format: ProfileFormat;
  readonly chunks: AsyncIterable<Uint8Array>;
  readonly effectiveFrom: Date;
  readonly actor: string;
  readonly reason: string;
  readonly fileName?: string;
}

export interface ProfileVersion {
  readonly version: bigint;
  readonly accounts: number;
  readonly customers: number;
  readonly sha256: string;
}

/** Lines of a byte stream (LF or CRLF), decoded as UTF-8, with their 1-based numbers. */
async function* lines(chunks: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash>): AsyncGenerator<[string, number]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let n = 0;
  for await (const chunk of chunks) {
    hash.update(chunk);
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw new ProfileFileError(n + 1, 'not UTF-8');
    }
    pending += text;
    let at: number;
    while ((at = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      n++;
      yield [line.endsWith('\r') ? line.slice(0, -1) : line, n];
    }
    if (pending.length > LINE_BYTES_MAX) throw new ProfileFileError(n + 1, `line longer than ${LINE_BYTES_MAX} characters`);
  }
  if (pending.length > 0) {
    n++;
    yield [pending.endsWith('\r') ? pending.slice(0, -1) : pending, n];
  }
}

export async function loadProfiles(ctx: EngineContext, load: ProfileLoad): Promise<ProfileVersion> {
  if (participantOf(ctx.config, load.participant) === undefined) throw new ProfileFileError(0, `${load.participant} is not a participant of the scheme`);
  const loaded = await ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    await recordOperatorAction(tx, { actor: load.actor, action: 'risk.profiles_load', subject: load.participant, reason: load.reason,
      details: { format: load.format, effectiveFrom: load.effectiveFrom.toISOString(), ...(load.fileName ? { fileName: load.fileName } : {}) } }, now);
    const [version] = await tx.query<{ id: bigint }>(
      `INSERT INTO risk_profile_versions (participant, effective_from, loaded_at, loaded_by, reason, file_name, sha256, accounts, customers)
       VALUES ($1, $2, $3, $4, $5, $6, '', 0, 0) RETURNING id`,
      [load.participant, load.effectiveFrom, now, load.actor, load.reason, load.fileName ?? null]);
    const id = version!.id;
    const hash = createHash('sha256');
    let accounts: { line: number; p: Extract<ProfileLine, { kind: 'account' }> }[] = [];
    let customers: { line: number; p: Extract<ProfileLine, { kind: 'customer' }> }[] = [];
    let accountCount = 0;
    let customerCount = 0;
    const flush = async (): Promise<void> => {
      if (accounts.length > 0) {
        const inserted = await tx.query<{ account: string }>(
          `INSERT INTO risk_account_profiles (version_id, account, account_type, risk_level, customer, line)
           SELECT $1, a, t, l, NULLIF(c, ''), n FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS r(a, t, l, c, n)
           ON CONFLICT DO NOTHING RETURNING account`,
          [id, accounts.map((a) => a.p.id), accounts.map((a) => a.p.accountType), accounts.map((a) => a.p.riskLevel), accounts.map((a) => a.p.customer ?? ''),
            accounts.map((a) => a.line)]);
        if (inserted.length < accounts.length) throw duplicate(accounts, inserted.map((r) => r.account), 'account');
        accountCount += accounts.length;
        accounts = [];
      }
      if (customers.length > 0) {
        const inserted = await tx.query<{ customer: string }>(
          `INSERT INTO risk_customer_profiles (version_id, customer, risk_level)
           SELECT $1, c, l FROM unnest($2::text[], $3::text[]) AS r(c, l) ON CONFLICT DO NOTHING RETURNING customer`,
          [id, customers.map((c) => c.p.id), customers.map((c) => c.p.riskLevel)]);
        if (inserted.length < customers.length) throw duplicate(customers, inserted.map((r) => r.customer), 'customer');
        customerCount += customers.length;
        customers = [];
      }
    };
    let sawHeader = load.format !== 'csv';
    for await (const [text, n] of lines(load.chunks, hash)) {
      if (!sawHeader) {
        checkHeader(load.format, text);
        sawHeader = true;
        continue;
      }
      const p = parseProfileLine(load.format, text, n);
      if (p.kind === 'account') accounts.push({ line: n, p });
      else customers.push({ line: n, p });
      if (accounts.length + customers.length >= PROFILE_BATCH) await flush();
    }
    await flush();
    if (accountCount + customerCount === 0) throw new ProfileFileError(1, 'the file holds no profiles');
    const [orphan] = await tx.query<{ account: string; customer: string; line: number }>(
      `SELECT a.account, a.customer, a.line FROM risk_account_profiles a WHERE a.version_id = $1 AND a.customer IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM risk_customer_profiles c WHERE c.version_id = $1 AND c.customer = a.customer) ORDER BY a.line LIMIT 1`, [id]);
    if (orphan) throw new ProfileFileError(orphan.line, `account ${orphan.account} names customer ${orphan.customer}, which the file does not define`);
    const sha256 = hash.digest('hex');
    await tx.query('UPDATE risk_profile_versions SET sha256 = $2, accounts = $3, customers = $4, complete = true WHERE id = $1',
      [id, sha256, accountCount, customerCount]);
    const generation = await bumpRiskReference(tx);
    return { version: { version: id, accounts: accountCount, customers: customerCount, sha256 }, generation };
  });
  // The stage's cache of versions in force (risk-reference.ts): at once here, within the poll period elsewhere.
  noteRiskReferenceChange(ctx.db, loaded.generation);
  return loaded.version;
}

function duplicate<T extends { line: number; p: { id: string } }>(batch: readonly T[], inserted: readonly string[], what: string): ProfileFileError {
  const left = new Map<string, number>();
  for (const id of inserted) left.set(id, (left.get(id) ?? 0) + 1);
  for (const item of batch) {
    const k = left.get(item.p.id) ?? 0;
    if (k === 0) return new ProfileFileError(item.line, `${what} ${item.p.id} appears twice in the file`);
    left.set(item.p.id, k - 1);
  }
  return new ProfileFileError(batch[0]!.line, `duplicate ${what}`);
}

/** The versions loaded for a participant, newest first (read-only). */
export async function listProfileVersions(db: Queryable, participant?: string): Promise<{ id: bigint; participant: string; effective_from: Date;
  loaded_at: Date; loaded_by: string; accounts: number; customers: number; sha256: string }[]> {
  return db.query(`SELECT id, participant, effective_from, loaded_at, loaded_by, accounts, customers, sha256 FROM risk_profile_versions
                    WHERE complete AND ($1::text IS NULL OR participant = $1) ORDER BY id DESC LIMIT 100`, [participant ?? null]);
}
