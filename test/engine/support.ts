/**
 * Shared set-up for engine tests: a five-bank scheme, an engine on PGlite (in memory) or on the real
 * PostgreSQL of the CI run (TEST_DATABASE_URL, a fresh schema per engine), mailboxes, simulators and a
 * controllable clock.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { checkConfig, type SchemeConfig } from '../../switch/config.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { BankSimulator, SettlementAgentSimulator, type BankAnswer } from '../../switch/demo/simulators.ts';
import { ManualClock } from '../../switch/clock.ts';
import type { EngineEvent, EngineEventSink } from '../../switch/engine/context.ts';
export type { EngineEvent };
import type { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { migratedTemplate } from '../support/store-template.ts';

export const BANKS = ['BANKDEFFXXX', 'BANKFRPPXXX', 'BANKNL2AXXX', 'BANKBEBBXXX', 'BANKITMMXXX'] as const;
export const SWITCH = 'CLHSDEFFXXX';
export const AGENT = 'MARKDEFFXXX';
/** Each bank's opening balance at the settlement agent in the engine tests (its default cap). */
export const AGENT_OPENING_BALANCE_MINOR = 1_000_000_000n;

export function schemeConfig(overrides: { caps?: Partial<Record<string, string>>; overCap?: 'reject' | 'queue'; timeoutMs?: number;
  receiverConfirmation?: boolean; } = {}): SchemeConfig {
  return checkConfig({
    name: 'test scheme', currencies: ['EUR'], switchBic: SWITCH,
    settlementAgent: { bic: AGENT, name: 'Central bank', settlementAccount: 'DE-RTGS-CLHS-0001' },
    services: [
      { messageType: 'pacs.008', mode: 'batch' },
      { messageType: 'pacs.008', mode: 'realtime', receiverConfirmation: overrides.receiverConfirmation ?? true,
        confirmationTimeoutMs: overrides.timeoutMs ?? 20_000,
        overCap: overrides.overCap ?? 'reject' },
    ],
    participants: BANKS.map((bic, i) => ({
      bic, name: `Bank ${i + 1}`, status: 'active', currencies: ['EUR'],
      netDebitCap: { EUR: overrides.caps?.[bic] ?? '10000000.00' },
    })),
  });
}

/** The engine tests' clock: Thursday 26 November 2026, 10:00 in Frankfurt (a business day, before
 * the first cut-off), the IntrBkSttlmDt their generated files carry; it moves only when told to. */
export class TestClock extends ManualClock {
  constructor(start: Date | string | number = '2026-11-26T09:00:00Z') {
    super(start);
  }
}

export type Backend = 'pglite' | 'postgres';
export const backends: Backend[] = ['pglite', ...(process.env.TEST_DATABASE_URL || process.env.CI ? ['postgres' as const] : ['postgres' as const])];

let schemaCounter = 0;
/** A fresh PostgreSQL schema (search_path) per engine, so tests never see each other's data. */
export async function freshPostgresUrl(): Promise<string> {
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `t_${process.pid}_${Date.now()}_${schemaCounter++}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export interface Harness {
  readonly engine: Engine;
  readonly clock: TestClock;
  readonly mailboxes: DirectoryMailboxes;
  readonly agent: SettlementAgentSimulator;
  /** The store's URL on PostgreSQL (undefined on PGlite): for a second process on the same store. */
  readonly databaseUrl: string | undefined;
  bank(bic: string, policy?: (transactionId: string) => BankAnswer): BankSimulator;
  /** Deliver everything due to the mailboxes. */
  dispatch(): Promise<number>;
  /** Cut off, deliver, let the settlement agent answer, deliver again. */
  closeAndSettle(): Promise<bigint | undefined>;
  close(): Promise<void>;
}

/**
 * `start`: the instant the clock shows when the engine opens (default TestClock's). On PGlite the store
 * starts from the run's migrated template (test/support/store-template.ts): the same store as one
 * migrated from empty, for a third of the CPU.
 */
export async function harness(backend: Backend, config: SchemeConfig = schemeConfig(), xsd?: XsdValidator, start?: string,
  events?: EngineEventSink): Promise<Harness> {
  const clock = new TestClock(start);
  const databaseUrl = backend === 'postgres' ? await freshPostgresUrl() : undefined;
  const engine = await Engine.open({
    config, clock, xsd, ...(events ? { events } : {}), ...(databaseUrl ? { databaseUrl } : { startFrom: await migratedTemplate() }),
  });
  const mailboxes = new DirectoryMailboxes(mkdtempSync(join(tmpdir(), 'clearhouse-mail-')));
  // The agent's books: every bank's settlement account funded with its net debit cap (10,000,000.00).
  const agent = new SettlementAgentSimulator(engine, mailboxes, AGENT, new Set(), { openingBalanceMinor: AGENT_OPENING_BALANCE_MINOR });
  const dispatch = async (): Promise<number> => {
    let total = 0;
    for (let n = await engine.dispatch((m) => mailboxes.deliver(m)); n > 0; n = await engine.dispatch((m) => mailboxes.deliver(m))) total += n;
    return total;
  };
  return {
    engine, clock, mailboxes, agent, dispatch, databaseUrl,
    bank: (bic, policy) => new BankSimulator(engine, mailboxes, bic, policy),
    async closeAndSettle() {
      const id = await engine.closeCycle();
      await dispatch();
      for (let round = 0; round < 5 && (await agent.answerAll()) > 0; round++) await dispatch();
      return id;
    },
    close: () => engine.close(),
  };
}
