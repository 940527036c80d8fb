/**
 * Child-process driver for the crash tests (crash.test.ts): opens the engine on a PostgreSQL URL and
 * the directory mailboxes under a root, and runs a deterministic workload in phases. Every phase is
 * idempotent, so a run killed anywhere (CLEARHOUSE_CRASH_AT, switch/engine/crash.ts) is finished by
 * running all the phases again:
 *
 *   submit    each bank's inbound/ files are submitted; a file is archived only after engine.submit
 *             returned (a killed run leaves it in inbound/ and the next one submits it again: a replay
 *             when it had been stored)
 *   dispatch  deliver the outbox until nothing is pending
 *   confirm   the creditor banks answer the real-time payments forwarded to them, then dispatch
 *   close     cut off the open cycle, if it holds payments (a cycle already cut off is resumed by
 *             Engine.open, not cut off again)
 *   settle    dispatch, the settlement agent answers its pacs.009s, dispatch, until quiet
 *   finish    all of the above, in order
 *
 *   node --import tsx test/reliability/driver.ts <databaseUrl> <mailboxRoot> <phase...>
 *
 * CLEARHOUSE_DRIVER_REJECT=<BIC,…>: the settlement agent rejects those participants' settlement (the
 * alerts test, alerts.test.ts). The driver has no event sink: whatever is queued, the engine queued.
 *
 * Prints one line of JSON (the summary) on success. Also exports the workload (for the test, which
 * puts the files into the mailboxes and computes its reference from the same models).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../switch/engine/engine.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { BankSimulator, SettlementAgentSimulator } from '../../switch/demo/simulators.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { ManualClock } from '../../switch/clock.ts';
import { AGENT, BANKS, schemeConfig } from '../engine/support.ts';

/** The business day of the workload; the driver's clock stands still at this instant (deterministic output). */
export const WORKLOAD_TIME = '2026-11-26T09:00:00Z';
export const BATCH_TRANSACTIONS = 20;
/** Upper bound of every loop of the driver (dispatch passes, answer rounds). */
const ROUNDS_MAX = 50;

export interface WorkloadFile {
  readonly sender: string;
  readonly fileName: string;
  readonly model: Pacs008;
  readonly bytes: Uint8Array;
  readonly realtime: boolean;
}

/**
 * Five bulk pacs.008 (one per bank, 20 payments to the four others) and two real-time payments
 * (LclInstrm INST), all from fixed seeds: the same bytes on every call.
 */
export function workload(): WorkloadFile[] {
  const encoder = new TextEncoder();
  const files: WorkloadFile[] = [];
  const add = (senderIndex: number, fileName: string, model: Pacs008, realtime: boolean): void => {
    files.push({ sender: DEMO_BANKS[senderIndex]!.bic, fileName, model, bytes: encoder.encode(buildPacs008(model)), realtime });
  };
  for (let i = 0; i < DEMO_BANKS.length; i++) {
    const sender = DEMO_BANKS[i]!;
    add(i, '01-batch.xml', bulkCreditTransfer({
      seed: 700 + i, sender, receivers: DEMO_BANKS.filter((b) => b.bic !== sender.bic), transactionCount: BATCH_TRANSACTIONS,
      settlementDate: WORKLOAD_TIME.slice(0, 10), createdAt: WORKLOAD_TIME, messageId: `${sender.bic.slice(0, 8)}-CRASH-B${i}`,
    }), false);
  }
  for (const [senderIndex, receiverIndex] of [[0, 1], [2, 3]] as const) {
    const sender = DEMO_BANKS[senderIndex]!;
    add(senderIndex, '02-inst.xml', bulkCreditTransfer({
      seed: 800 + senderIndex, sender, receivers: [DEMO_BANKS[receiverIndex]!], transactionCount: 1, localInstrument: 'INST',
      settlementDate: WORKLOAD_TIME.slice(0, 10), createdAt: WORKLOAD_TIME, messageId: `${sender.bic.slice(0, 8)}-CRASH-I${senderIndex}`,
    }), true);
  }
  return files;
}

interface Summary {
  phases: string[];
  submitted: number;
  replays: number;
  statuses: Record<string, number>;
  delivered: number;
  bankAnswers: number;
  agentAnswers: number;
  closedCycle: string | null;
  pendingOutbox: number;
}

async function run(databaseUrl: string, mailboxRoot: string, phases: readonly string[]): Promise<Summary> {
  const clock = new ManualClock(WORKLOAD_TIME);
  // The clock stands still, so no confirmation times out, whatever a crash and restart cost.
  const engine = await Engine.open({ config: schemeConfig({ timeoutMs: 60_000 }), databaseUrl, clock });
  const mailboxes = new DirectoryMailboxes(mailboxRoot);
  const rejected = (process.env.CLEARHOUSE_DRIVER_REJECT ?? '').split(',').filter((bic) => bic.length > 0);
  const agent = new SettlementAgentSimulator(engine, mailboxes, AGENT, new Set(rejected));
  const summary: Summary = { phases: [...phases], submitted: 0, replays: 0, statuses: {}, delivered: 0, bankAnswers: 0, agentAnswers: 0,
    closedCycle: null, pendingOutbox: 0 };

  const pending = async (): Promise<number> =>
    (await engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM outbox WHERE state = 'PENDING'"))[0]!.n;

  const dispatch = async (): Promise<void> => {
    for (let round = 0; round < ROUNDS_MAX; round++) {
      const delivered = await engine.dispatch((m) => mailboxes.deliver(m));
      summary.delivered += delivered;
      if (delivered > 0) continue;
      if ((await pending()) === 0) return;
      // Rows still locked by a transaction of a killed process that the server has not yet ended.
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`outbox not empty after ${ROUNDS_MAX} dispatch passes`);
  };

  const submitInbound = async (): Promise<void> => {
    for (const bic of BANKS) {
      for (const fileName of mailboxes.inbound(bic)) {
        const result = await engine.submit({ bytes: mailboxes.read(bic, 'inbound', fileName), sender: bic, fileName });
        mailboxes.archive(bic, fileName);
        summary.submitted++;
        if (result.replay) summary.replays++;
        summary.statuses[result.status] = (summary.statuses[result.status] ?? 0) + 1;
      }
    }
  };

  const confirm = async (): Promise<void> => {
    await dispatch();
    for (let round = 0; round < ROUNDS_MAX; round++) {
      let answered = 0;
      for (const bic of BANKS) answered += await new BankSimulator(engine, mailboxes, bic).answerRealtime();
      summary.bankAnswers += answered;
      await dispatch();
      if (answered === 0) return;
    }
    throw new Error('banks still answering after the last round');
  };

  const close = async (): Promise<void> => {
    const [open] = await engine.storeForTests().query<{ n: number }>(
      "SELECT COUNT(p.id)::int AS n FROM cycles c JOIN payments p ON p.cycle_id = c.id WHERE c.state = 'OPEN'");
    if (open!.n === 0) return;
    const id = await engine.closeCycle();
    summary.closedCycle = id === undefined ? null : id.toString();
  };

  const settle = async (): Promise<void> => {
    await dispatch();
    for (let round = 0; round < ROUNDS_MAX; round++) {
      const answered = await agent.answerAll();
      summary.agentAnswers += answered;
      await dispatch();
      if (answered === 0) return;
    }
    throw new Error('settlement agent still answering after the last round');
  };

  const steps: Record<string, () => Promise<void>> = {
    submit: submitInbound, dispatch, confirm, close, settle,
    finish: async () => {
      await submitInbound();
      await dispatch();
      await confirm();
      await close();
      await settle();
    },
  };
  try {
    for (const phase of phases) {
      const step = steps[phase];
      if (!step) throw new Error(`unknown phase ${phase} (known: ${Object.keys(steps).join(', ')})`);
      await step();
    }
    summary.pendingOutbox = await pending();
    return summary;
  } finally {
    await engine.close();
  }
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const [databaseUrl, mailboxRoot, ...phases] = process.argv.slice(2);
  if (!databaseUrl || !mailboxRoot || phases.length === 0) {
    console.error('usage: driver.ts <databaseUrl> <mailboxRoot> <phase...>');
    process.exit(2);
  }
  try {
    const summary = await run(databaseUrl, mailboxRoot, phases);
    console.log(JSON.stringify(summary));
  } catch (error) {
    console.error((error as Error).stack ?? String(error));
    process.exitCode = 1;
  }
}
