/**
 * The parts of `clearhouse serve` that keep it running for months (switch/cli/serve.ts
 * serveCommand wires them): the database outage wait around every pass and at start, the embedded
 * mode's unsigned intake, and a sleep that SIGTERM cuts short.
 */
import type { Connector, InboundFile } from '../../connectors/connector.ts';
import type { Engine } from '../engine/engine.ts';
import { visibleText, type Logger } from '../log.ts';
import { DatabaseOutage } from '../store/availability.ts';

/** Waits `ms`, or less when `signal` aborts (a stop request). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Opens the engine, waiting out a database that cannot be reached yet (started before PostgreSQL,
 * or during its restart) with the outage backoff. Any other failure is thrown. Undefined when a stop
 * was requested meanwhile.
 */
export async function openEngineWhenReachable(open: () => Promise<Engine>, outage: DatabaseOutage, signal: AbortSignal): Promise<Engine | undefined> {
  while (!signal.aborted) {
    try {
      const engine = await open();
      outage.succeeded();
      return engine;
    } catch (error) {
      const delayMs = outage.failed(error, 'open the store');
      if (delayMs === undefined) throw error;
      await sleep(delayMs, signal);
    }
  }
  return undefined;
}

/**
 * One pass of serve's work. Returns how long to wait before the next pass when the database could
 * not be reached (the pass stopped where it failed: its transaction rolled back, nothing after it was
 * acknowledged), 0 when it completed. Any other error is thrown: a bug or a broken invariant stops
 * the process, as it must.
 */
export async function guardedPass(outage: DatabaseOutage, what: string, pass: () => Promise<void>): Promise<number> {
  try {
    await pass();
  } catch (error) {
    const delayMs = outage.failed(error, what);
    if (delayMs === undefined) throw error;
    return delayMs;
  }
  outage.succeeded();
  return 0;
}

/**
 * Embedded/demo mode: files are taken without signature checks, stored durably, and only then
 * acknowledged. A failure of the store throws before the file is acknowledged, so it stays in the
 * mailbox and is taken again (a replay if its intake had committed).
 */
export async function pollUnsigned(engine: Engine, connector: Connector, participants: readonly string[], log: Logger): Promise<void> {
  for (const participant of participants) {
    let files: InboundFile[];
    try {
      files = await connector.receive(participant);
    } catch (error) {
      log.warn({ participant, err: error }, 'mailbox not readable');
      continue;
    }
    for (const file of files) {
      const result = await engine.submit({ bytes: file.bytes, sender: participant, fileName: visibleText(file.fileName) });
      await connector.acknowledge(file);
      log.info({ participant, fileName: file.fileName, msgId: result.report.group?.messageId, status: result.status, replay: result.replay },
        `${result.replay ? 'replay, not processed again' : 'stored'}, ${result.status} (unsigned: embedded/demo mode)`);
    }
  }
}
