/**
 * Notifications in `serve` (docs/notifications.md): the engine's events that need an operator become
 * alert notifications (alertFor), and a worker loop sends what is due, in every serve process (they
 * share the table through the lease, FOR UPDATE SKIP LOCKED, on PostgreSQL as on the embedded store).
 *
 * Environment: CLEARHOUSE_SMTP_URL (smtp://host:port; without it e-mail notifications fail their
 * attempts and are retried), CLEARHOUSE_MAIL_FROM (the From address), CLEARHOUSE_NOTIFY_CA (a PEM
 * file of CA certificates webhook servers are checked against, instead of the system's).
 */
import { readFileSync } from 'node:fs';
import type { Engine } from '../engine/engine.ts';
import type { Logger } from '../log.ts';
import { Mailer } from '../../connectors/notify/email.ts';
import { NotificationWorker } from '../../connectors/notify/worker.ts';
import { sleep } from './serve-loop.ts';

export { AlertSink, reconcileClosedDay } from '../notify/alert-sink.ts';

/** How often the worker looks for due notifications when the last pass found none. */
const NOTIFY_IDLE_MS = 500;

/** Runs the notification worker until `signal` aborts; resolves when it has stopped. */
export async function runNotifier(engine: Engine, log: Logger, signal: AbortSignal): Promise<void> {
  const smtp = process.env.CLEARHOUSE_SMTP_URL || undefined;
  const caFile = process.env.CLEARHOUSE_NOTIFY_CA || undefined;
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      log.error({ err: error, file: caFile }, 'CLEARHOUSE_NOTIFY_CA cannot be read: webhooks are checked against the system\'s CAs');
    }
  }
  const mailer = smtp ? new Mailer({ url: smtp, from: process.env.CLEARHOUSE_MAIL_FROM || 'clearhouse@localhost' }) : undefined;
  const worker = new NotificationWorker(engine.notifications(), {
    webhook: { now: () => engine.clock.now(), ...(ca ? { ca } : {}) }, ...(mailer ? { mailer } : {}), log,
  });
  log.info({ smtp: smtp ? 'configured' : 'not configured (CLEARHOUSE_SMTP_URL)' }, 'notification worker started');
  try {
    while (!signal.aborted) {
      let busy = false;
      try {
        const pass = await worker.runOnce();
        busy = pass.delivered + pass.retried + pass.dead > 0;
      } catch (error) {
        // The store unreachable, most likely: the serve loop reports the outage; the worker tries again.
        log.warn({ err: error }, 'notification pass failed; tried again');
      }
      if (!busy) await sleep(NOTIFY_IDLE_MS, signal);
    }
  } finally {
    mailer?.close();
  }
}
