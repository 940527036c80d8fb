/**
 * Notification subscriptions (docs/notifications.md):
 *
 *   clearhouse notify subscribe (--participant BIC | --operators) --channel webhook|email --target URL|ADDRESS
 *                               --events E[,E…] [--secret S] --operator NAME --reason TEXT
 *   clearhouse notify list [--participant BIC] [--removed]          subscriptions (reading only; never the secret)
 *   clearhouse notify history [--subscription ID] [--state S]       notifications and their last error (reading only)
 *   clearhouse notify remove ID --operator NAME --reason TEXT
 *   clearhouse notify test ID --operator NAME --reason TEXT [--ca FILE]   one test notification sent now
 *
 * Every change (subscribe, remove, test) is recorded in operator_actions (who, when, why) before it
 * takes effect. A webhook secret not given is generated and printed once. Exit codes: 0 done, 1 a
 * test notification that did not arrive, 2 usage or configuration error.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkOperatorAction, OperatorActionError } from '../engine/operator-actions.ts';
import { ALERT_EVENTS, PAYMENT_EVENTS, SubscriptionError, type DueNotification } from '../notify/events.ts';
import { openReadOnly, print, withEngine, type CommonOptions } from './clearing.ts';

interface WhoOptions extends CommonOptions {
  readonly operator: string;
  readonly reason: string;
}

interface SubscribeOptions extends WhoOptions {
  readonly participant?: string;
  readonly operators?: boolean;
  readonly channel: string;
  readonly target: string;
  readonly events: string;
  readonly secret?: string;
}

export function registerNotifyCommands(program: Command): void {
  const notify = program.command('notify').description('notifications: webhook and e-mail subscriptions for payment events and operator alerts (docs/notifications.md)');
  notify
    .command('subscribe')
    .description('subscribe a participant (payment events) or the operators (alerts) to a webhook or an e-mail address, recorded with who and why')
    .option('--participant <bic>', `the participant told of its payments: ${PAYMENT_EVENTS.join(', ')}`)
    .option('--operators', `the scheme's operators, told of alerts: ${ALERT_EVENTS.join(', ')}`)
    .requiredOption('--channel <channel>', 'webhook | email')
    .requiredOption('--target <url-or-address>', 'https:// URL (webhook) or e-mail address')
    .requiredOption('--events <list>', 'comma-separated events')
    .option('--secret <secret>', 'the webhook signing secret (16 characters or more; default: generated and printed once)')
    .requiredOption('--operator <name>', 'who (recorded in operator_actions)')
    .requiredOption('--reason <text>', 'why (recorded in operator_actions)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: SubscribeOptions) => {
      process.exitCode = await subscribeCommand(options);
    });
  notify
    .command('list')
    .description('subscriptions with their pending, delivered and dead notifications (reading only; secrets are never shown)')
    .option('--participant <bic>', 'one participant\'s')
    .option('--removed', 'include removed subscriptions')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions & { readonly participant?: string; readonly removed?: boolean }) => {
      process.exitCode = await withEngine(options, async (engine) => {
        const rows = await engine.notifications().subscriptions({ ...(options.participant ? { participant: options.participant } : {}),
          includeRemoved: options.removed ?? false });
        print(options, rows, rows.length === 0 ? 'no subscription\n' : rows.map((s) =>
          `${s.id} ${s.participant ?? 'operators'} ${s.channel} ${s.target} [${s.events.join(',')}] since ${s.createdAt.toISOString()}` +
          `${s.removedAt ? ` removed ${s.removedAt.toISOString()}` : ''}: ${s.pending} pending, ${s.delivered} delivered, ${s.dead} dead\n`).join(''));
        return 0;
      }, openReadOnly);
    });
  notify
    .command('history')
    .description('the latest notifications, their attempts and last error (reading only)')
    .option('--subscription <id>', 'one subscription\'s')
    .option('--state <state>', 'PENDING | DELIVERED | DEAD')
    .option('--limit <n>', 'how many (default 50)', '50')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions & { readonly subscription?: string; readonly state?: string; readonly limit: string }) => {
      if (options.subscription !== undefined && !/^[1-9][0-9]{0,17}$/.test(options.subscription)) return usage('history', '--subscription takes an id');
      if (options.state !== undefined && !['PENDING', 'DELIVERED', 'DEAD'].includes(options.state)) return usage('history', '--state takes PENDING, DELIVERED or DEAD');
      if (!/^[1-9][0-9]{0,3}$/.test(options.limit)) return usage('history', '--limit takes 1..9999');
      process.exitCode = await withEngine(options, async (engine) => {
        const rows = await engine.notifications().notifications({ ...(options.subscription ? { subscriptionId: BigInt(options.subscription) } : {}),
          ...(options.state ? { state: options.state } : {}), limit: Number(options.limit) });
        print(options, rows, rows.length === 0 ? 'no notification\n' : rows.map((n) =>
          `${n.id} subscription ${n.subscriptionId} ${n.kind} ${n.eventKey}: ${n.state} after ${n.attempts} attempt(s)` +
          `${n.state === 'PENDING' && n.nextAttemptAt ? `, next ${n.nextAttemptAt.toISOString()}` : ''}${n.lastError ? ` (${n.lastError})` : ''}\n`).join(''));
        return 0;
      }, openReadOnly);
    });
  notify
    .command('remove')
    .description('remove a subscription (what it still had pending is not sent), recorded with who and why')
    .argument('<id>', 'the subscription')
    .requiredOption('--operator <name>', 'who (recorded in operator_actions)')
    .requiredOption('--reason <text>', 'why (recorded in operator_actions)')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (id: string, options: WhoOptions) => {
      if (!/^[1-9][0-9]{0,17}$/.test(id)) return usage('remove', `${JSON.stringify(id)} is not a subscription id`);
      if (!checkWho('remove', options)) return;
      process.exitCode = await withEngine(options, async (engine) => {
        try {
          await engine.notifications().remove(BigInt(id), { actor: options.operator, reason: options.reason });
        } catch (error) {
          if (error instanceof SubscriptionError) return usageCode('remove', error.message);
          throw error;
        }
        print(options, { removed: id }, `subscription ${id} removed\n`);
        return 0;
      });
    });
  notify
    .command('test')
    .description('send one test notification to a subscription now, recorded with who and why (SMTP: $CLEARHOUSE_SMTP_URL)')
    .argument('<id>', 'the subscription')
    .requiredOption('--operator <name>', 'who (recorded in operator_actions)')
    .requiredOption('--reason <text>', 'why (recorded in operator_actions)')
    .option('--ca <file>', 'CA certificate (PEM) the webhook\'s server certificate is checked against, instead of the system\'s')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (id: string, options: WhoOptions & { readonly ca?: string }) => {
      if (!/^[1-9][0-9]{0,17}$/.test(id)) return usage('test', `${JSON.stringify(id)} is not a subscription id`);
      if (!checkWho('test', options)) return;
      let ca: string | undefined;
      try {
        ca = options.ca === undefined ? undefined : readFileSync(options.ca, 'utf8');
      } catch (error) {
        return usage('test', `cannot read ${options.ca}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      process.exitCode = await withEngine(options, async (engine) => testCommand(engine, BigInt(id), options, ca));
    });
}

async function subscribeCommand(options: SubscribeOptions): Promise<number> {
  if ((options.participant === undefined) === (options.operators !== true)) return usageCode('subscribe', 'name --participant BIC or --operators (one of them)');
  if (options.channel !== 'webhook' && options.channel !== 'email') return usageCode('subscribe', '--channel takes webhook or email');
  if (!checkWho('subscribe', options)) return 2;
  return withEngine(options, async (engine) => {
    if (options.participant !== undefined && !engine.participantBics().includes(options.participant)) {
      return usageCode('subscribe', `${options.participant} is not a participant of the scheme`);
    }
    try {
      const made = await engine.notifications().subscribe({
        ...(options.participant === undefined ? {} : { participant: options.participant }), channel: options.channel as 'webhook' | 'email',
        target: options.target, events: options.events.split(','), ...(options.secret === undefined ? {} : { secret: options.secret }),
      }, { actor: options.operator, reason: options.reason });
      const generated = options.secret === undefined && made.secret !== null;
      print(options, { id: made.id, ...(generated ? { secret: made.secret } : {}) },
        `subscription ${made.id} for ${options.participant ?? 'the operators'}: ${options.channel} ${options.target}\n` +
        (generated ? `signing secret (shown once; give it to the receiver): ${made.secret}\n` : ''));
      return 0;
    } catch (error) {
      if (error instanceof SubscriptionError) return usageCode('subscribe', error.message);
      throw error;
    }
  });
}

async function testCommand(engine: import('../engine/engine.ts').Engine, id: bigint, options: WhoOptions, ca: string | undefined): Promise<number> {
  const store = engine.notifications();
  const sub = await store.subscription(id);
  if (!sub || sub.removedAt) return usageCode('test', `no subscription ${id}`);
  await store.recordTest(id, { actor: options.operator, reason: options.reason });
  const due: DueNotification = {
    id: 0n, kind: sub.events[0]!, eventKey: 'test', attempt: 1, createdAt: engine.clock.now(),
    subscription: { id: sub.id, participant: sub.participant, channel: sub.channel, target: sub.target, secret: sub.secret },
    details: { test: true, note: `a test notification asked for by ${options.operator}: ${options.reason}` },
  };
  const { payloadOf } = await import('../notify/events.ts');
  const payload = payloadOf(due);
  let result;
  if (sub.channel === 'webhook') {
    const { postWebhook } = await import('../../connectors/notify/webhook.ts');
    result = await postWebhook(due, payload, { now: () => engine.clock.now(), ...(ca ? { ca } : {}) });
  } else {
    const url = process.env.CLEARHOUSE_SMTP_URL;
    if (!url) return usageCode('test', 'no SMTP server: set CLEARHOUSE_SMTP_URL (e.g. smtp://127.0.0.1:25)');
    const { Mailer } = await import('../../connectors/notify/email.ts');
    const mailer = new Mailer({ url, from: process.env.CLEARHOUSE_MAIL_FROM || 'clearhouse@localhost' });
    try {
      result = await mailer.send(due, payload);
    } finally {
      mailer.close();
    }
  }
  print(options, result, result.ok
    ? `subscription ${id}: test notification accepted (${result.statusCode ?? 'ok'}, ${Math.round(result.latencyMs)} ms)\n`
    : `subscription ${id}: test notification failed: ${result.error ?? 'no reason'}\n`);
  return result.ok ? 0 : 1;
}

function checkWho(command: string, options: WhoOptions): boolean {
  try {
    checkOperatorAction({ actor: options.operator, action: `notify.${command}`, subject: 'operators', reason: options.reason });
    return true;
  } catch (error) {
    if (error instanceof OperatorActionError) {
      usage(command, error.message);
      return false;
    }
    throw error;
  }
}

function usage(command: string, message: string): void {
  process.stderr.write(`clearhouse notify ${command}: ${message}\n`);
  process.exitCode = 2;
}

function usageCode(command: string, message: string): number {
  process.stderr.write(`clearhouse notify ${command}: ${message}\n`);
  return 2;
}
