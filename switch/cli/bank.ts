/**
 * `clearhouse bank ...`: a participant bank simulator for demos and load, talking to the switch only
 * through its connector, as a real bank would (docs/operations.md "Bank simulator"):
 *
 *   bank send    generate pacs.008 payments (switch/demo/generate.ts), sign them, put them into the
 *                bank's inbound (directory mailbox or queue)
 *   bank fetch   take what the switch delivered, verify the switch's signatures, one line per file
 *   bank answer  answer real-time pacs.008 with a pacs.002 and recalls (camt.056) with a camt.029
 *   bank recall  ask for a payment back: a camt.056 for one of the bank's own payments, by TxId
 *
 * The transport is the bank's directory mailbox (`--mailbox DIR`, default its configured directory
 * connector) or its queues on REDIS_URL (`--queue`, or a queue connector in the configuration).
 * Exit codes: 0 done, 1 a delivered file's signature was refused, 2 usage or configuration error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig, type SchemeConfig } from '../config.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { BankQueueClient } from '../../connectors/queue.ts';
import { defaultMailbox, redisConnection, SIGNATURE_SUFFIX } from '../../connectors/registry.ts';
import { signDetached, verifyDetached } from '../../connectors/signing/cms.ts';
import { caCertificateFile } from '../../connectors/signing/material.ts';
import type { KeyAndCertificate } from '../../connectors/signing/pki.ts';
import { bulkCreditTransfer, DEMO_BANKS, type Bank } from '../demo/generate.ts';
import { businessDateOf } from '../../batch/calendar.ts';
import { build as buildPacs008, parseXml as parsePacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { build as buildCamt056, parseXml as parseCamt056 } from '../iso/messages/camt.056.001.08/index.ts';
import { build as buildCamt029 } from '../iso/messages/camt.029.001.09/index.ts';
import { isoDateTime } from '../engine/context.ts';
import { BIC_PATTERN as BIC, institutionKey } from '../iso/bic.ts';
import { processClock } from '../clock.ts';

const defaultConfig = join(fileURLToPath(import.meta.url), '..', '..', '..', 'config', 'demo-scheme.json');
/** ExternalCancellationReason1Code values a bank simulator may give (DUPL duplicate, FRAD fraud, TECH technical problem, CUST customer asked). */
const RECALL_REASONS = ['DUPL', 'FRAD', 'TECH', 'CUST', 'AC03', 'AM09'] as const;
/** ISO Max35Text: MsgId, TxId, case and assignment ids. */
const MAX35 = /^[^\s<>&]{1,35}$/;
const COUNT_MAX = 100_000;
const encoder = new TextEncoder();

class UsageError extends Error {}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A file the switch delivered to the bank. */
interface Delivered {
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly signature?: Uint8Array;
}

/** The bank's end of its connector. */
interface BankTransport {
  put(fileName: string, bytes: Uint8Array, signature?: Uint8Array): Promise<void>;
  /** Delivered files, oldest name first (a queue hands each file out once). */
  delivered(): Promise<Delivered[]>;
  /** The bank has handled a delivered file (directory: moved to archive/). */
  done(file: Delivered): Promise<void>;
  close(): Promise<void>;
}

class DirectoryTransport implements BankTransport {
  private readonly mailboxes: DirectoryMailboxes;
  private readonly box: string;
  constructor(directory: string) {
    this.mailboxes = new DirectoryMailboxes(dirname(directory));
    this.box = basename(directory);
  }

  async put(fileName: string, bytes: Uint8Array, signature?: Uint8Array): Promise<void> {
    // The signature first: the switch lists the data file only once its signature is beside it.
    if (signature) this.mailboxes.put(this.box, `${fileName}${SIGNATURE_SUFFIX}`, signature);
    this.mailboxes.put(this.box, fileName, bytes);
  }

  async delivered(): Promise<Delivered[]> {
    const names = this.mailboxes.outbound(this.box);
    const present = new Set(names);
    return names.filter((name) => !name.endsWith(SIGNATURE_SUFFIX)).map((fileName) => {
      const signatureName = `${fileName}${SIGNATURE_SUFFIX}`;
      return {
        fileName, bytes: this.mailboxes.read(this.box, 'outbound', fileName),
        ...(present.has(signatureName) ? { signature: this.mailboxes.read(this.box, 'outbound', signatureName) } : {}),
      };
    });
  }

  async done(file: Delivered): Promise<void> {
    for (const name of [file.fileName, `${file.fileName}${SIGNATURE_SUFFIX}`]) {
      if (existsSync(join(this.mailboxes.root, this.box, 'outbound', name))) this.mailboxes.archiveOutbound(this.box, name);
    }
  }

  async close(): Promise<void> { /* nothing held open */ }
}

class QueueTransport implements BankTransport {
  private readonly client: BankQueueClient;
  constructor(bic: string, redisUrl: string) {
    this.client = new BankQueueClient({ connection: redisConnection(redisUrl), bic });
  }

  put(fileName: string, bytes: Uint8Array, signature?: Uint8Array): Promise<void> {
    return this.client.send({ fileName, bytes, ...(signature ? { signature } : {}) });
  }

  async delivered(): Promise<Delivered[]> {
    return (await this.client.take()).sort((a, b) => a.fileName.localeCompare(b.fileName));
  }

  async done(): Promise<void> { /* taken from the queue already */ }

  close(): Promise<void> {
    return this.client.close();
  }
}

interface BankOptions {
  readonly bic: string;
  readonly config?: string;
  readonly mailbox?: string;
  readonly queue?: boolean;
}

function readConfig(options: BankOptions): SchemeConfig {
  return loadConfig(options.config ?? (process.env.CLEARHOUSE_CONFIG || undefined) ?? defaultConfig);
}

/** The bank's BIC as the scheme writes it (upper case), and a participant (or the settlement agent) of the configured scheme. */
function bankBic(options: BankOptions, config: SchemeConfig): string {
  const bic = String(options.bic);
  if (!BIC.test(bic)) throw new UsageError(`--bic ${JSON.stringify(bic)} is not a BIC (8 or 11 upper-case letters and digits)`);
  const known = [...config.participants.map((p) => p.bic), ...(config.settlementAgent ? [config.settlementAgent.bic] : [])];
  const match = known.find((candidate) => institutionKey(candidate) === institutionKey(bic));
  if (match === undefined) throw new UsageError(`--bic ${bic} is not a participant of ${config.name}`);
  return match;
}

function openTransport(options: BankOptions, config: SchemeConfig, bic: string): BankTransport {
  if (options.mailbox !== undefined && options.queue) throw new UsageError('--mailbox and --queue exclude each other');
  if (options.mailbox !== undefined) return new DirectoryTransport(options.mailbox);
  const connector = config.participants.find((p) => p.bic === bic)?.connector;
  if (options.queue || connector?.type === 'queue') {
    if (!process.env.REDIS_URL) throw new UsageError('the queue transport needs REDIS_URL');
    return new QueueTransport(bic, process.env.REDIS_URL);
  }
  if (connector?.type === 'sftp') throw new UsageError(`${bic} uses SFTP: the simulator speaks directory mailboxes and queues only`);
  return new DirectoryTransport(connector?.type === 'directory' ? connector.path : defaultMailbox(config, bic));
}

function readSigner(options: { key?: string; cert?: string }): (KeyAndCertificate & { signingTime: Date }) | undefined {
  if ((options.key === undefined) !== (options.cert === undefined)) throw new UsageError('--key and --cert go together');
  if (options.key === undefined || options.cert === undefined) return undefined;
  return { keyPem: read(options.key), certPem: read(options.cert), signingTime: processClock().now() };
}

function read(file: string): string {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  return readFileSync(file, 'utf8');
}

function count(text: string, option: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > COUNT_MAX) throw new UsageError(`${option}: a whole number 1..${COUNT_MAX}`);
  return Number(text);
}

function bankOf(bic: string): Bank {
  const known = DEMO_BANKS.find((b) => b.bic === bic);
  if (known) return known;
  const country = bic.slice(4, 6);
  return { bic, name: bic, country: (['DE', 'FR', 'NL', 'BE', 'IT'].includes(country) ? country : 'DE') as Bank['country'] };
}

/** Runs a command body with its transport; usage problems exit 2. */
async function run(command: string, options: BankOptions, body: (transport: BankTransport, config: SchemeConfig, bic: string) => Promise<number>): Promise<void> {
  let transport: BankTransport | undefined;
  try {
    const config = readConfig(options);
    const bic = bankBic(options, config);
    transport = openTransport(options, config, bic);
    process.exitCode = await body(transport, config, bic);
  } catch (error) {
    process.stderr.write(`clearhouse bank ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  } finally {
    await transport?.close();
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The message type of a delivered file from its deterministic name `<type>_<MsgId>.xml`. */
function typeOf(file: Delivered): string {
  const match = /^([a-z]{4}\.\d{3}\.\d{3}\.\d{2})_/.exec(file.fileName);
  return match ? match[1]! : 'unknown';
}

function messageIdOf(xml: string): string {
  return /<(?:\w+:)?MsgId>([^<]*)</.exec(xml)?.[1] ?? /<(?:\w+:)?Id>([^<]*)</.exec(xml)?.[1] ?? '-';
}

/** pacs.002: the group status and the count of each transaction status. */
function statusOf(xml: string): string {
  const group = /<(?:\w+:)?GrpSts>([^<]*)</.exec(xml)?.[1];
  const counts = new Map<string, number>();
  for (const match of xml.matchAll(/<(?:\w+:)?TxSts>([^<]*)</g)) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  const parts = [...(group ? [`group ${group}`] : []), ...[...counts].map(([status, n]) => `${n} ${status}`)];
  return parts.length ? parts.join(', ') : '-';
}

export function registerBankCommands(program: Command): void {
  const bank = program.command('bank').description('participant bank simulator (demos and load): send, fetch, answer');

  bank.command('send')
    .description('generate payments, sign them (--key/--cert) and put them into the bank\'s inbound')
    .requiredOption('--bic <bic>', 'the sending bank')
    .requiredOption('--to <bics>', 'receiving banks, comma separated')
    .option('--count <n>', 'payments: one bulk file of N (or N real-time files with --inst)', '10')
    .option('--inst', 'real-time payments: one single-payment file each (LclInstrm INST)')
    .option('--key <file>', "the bank's signing key (PEM)")
    .option('--cert <file>', "the bank's signing certificate (PEM)")
    .option('--seed <n>', 'generator seed (default: from the clock)')
    .option('--mailbox <dir>', "the bank's mailbox directory (default: its configured directory connector)")
    .option('--queue', 'use the bank\'s queues on REDIS_URL')
    .option('--config <file>', 'scheme configuration (default config/demo-scheme.json or $CLEARHOUSE_CONFIG)')
    .action((options) => run('send', options, async (transport, config, bic) => {
      const receivers = String(options.to).split(',').map((b) => b.trim().toUpperCase()).filter((b) => b.length > 0);
      if (receivers.length === 0 || receivers.some((b) => !BIC.test(b))) throw new UsageError(`--to: ${options.to} is not a list of BICs`);
      const n = count(options.count, '--count');
      const signer = readSigner(options);
      const now = processClock().now();
      const seed = options.seed === undefined ? now.getTime() % 2_000_000_000 : count(options.seed, '--seed');
      const stamp = now.getTime().toString(36).toUpperCase();
      const common = {
        sender: bankOf(bic), receivers: receivers.map(bankOf), settlementDate: businessDateOf(now, config.calendar),
        createdAt: isoDateTime(now),
      };
      const files = options.inst
        ? Array.from({ length: n }, (_, i) => {
          const model = bulkCreditTransfer({ ...common, seed: seed + i, transactionCount: 1, localInstrument: 'INST',
            messageId: `${bic.slice(0, 8)}-I${stamp}-${i + 1}`, maxAmountMinor: 100_000 });
          return { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } };
        })
        : [bulkCreditTransfer({ ...common, seed, transactionCount: n, messageId: `${bic.slice(0, 8)}-B${stamp}` })];
      for (const model of files) {
        const bytes = encoder.encode(buildPacs008({ ...model, groupHeader: { ...model.groupHeader, instructedAgent: config.switchBic ?? model.groupHeader.instructedAgent } }));
        const fileName = `${model.groupHeader.messageId}.xml`;
        await transport.put(fileName, bytes, signer ? signDetached(bytes, signer) : undefined);
        say(`${fileName}: pacs.008 ${model.groupHeader.messageId}, ${model.transactions.length} payment(s)${signer ? ', signed' : ''}`);
      }
      return 0;
    }));

  bank.command('fetch')
    .description('take what the switch delivered: one line per file (type, MsgId, status); verify signatures with --ca')
    .requiredOption('--bic <bic>', 'the bank')
    .option('--ca <file>', 'scheme CA certificate or CA directory: verify the switch\'s signatures (repeatable)', collect)
    .option('--crl <file>', 'revocation list (repeatable)', collect)
    .option('--keep', 'leave the files in outbound/ (directory mailbox)')
    .option('--mailbox <dir>', "the bank's mailbox directory")
    .option('--queue', 'use the bank\'s queues on REDIS_URL')
    .option('--config <file>', 'scheme configuration')
    .action((options) => run('fetch', options, async (transport, config) => {
      const caCertPems = ((options.ca ?? []) as string[]).map((ca) => read(caCertificateFile(ca)));
      const crls = ((options.crl ?? []) as string[]).map(read);
      let refused = 0;
      for (const file of await transport.delivered()) {
        const xml = Buffer.from(file.bytes).toString('utf8');
        const type = typeOf(file);
        let signature = file.signature ? 'signed' : 'unsigned';
        if (caCertPems.length > 0) {
          const verdict = verifyDetached(file.bytes, file.signature, {
            caCertPems, crls, now: processClock().now(), ...(config.switchBic ? { expectedSigner: config.switchBic } : {}),
          });
          if (verdict.ok) signature = `signature good (${verdict.signer.bic} ${verdict.signer.serial})`;
          else {
            signature = `signature refused ${verdict.code}: ${verdict.message}`;
            refused++;
          }
        }
        say(`${file.fileName}  ${type}  ${messageIdOf(xml)}  ${type.startsWith('pacs.002') ? statusOf(xml) : '-'}  ${signature}`);
        if (!options.keep) await transport.done(file);
      }
      return refused > 0 ? 1 : 0;
    }));

  bank.command('answer')
    .description('answer real-time pacs.008 with a pacs.002 and recalls (camt.056) with a camt.029')
    .requiredOption('--bic <bic>', 'the bank (creditor agent)')
    .option('--reject-every <n>', 'reject (RJCT AC04) every n-th real-time payment')
    .option('--silent-every <n>', 'do not answer every n-th real-time payment (the switch times it out)')
    .option('--accept-recalls', 'answer recalls with CNCL (default RJCR)')
    .option('--key <file>', "the bank's signing key (PEM)")
    .option('--cert <file>', "the bank's signing certificate (PEM)")
    .option('--mailbox <dir>', "the bank's mailbox directory")
    .option('--queue', 'use the bank\'s queues on REDIS_URL')
    .option('--config <file>', 'scheme configuration')
    .action((options) => run('answer', options, async (transport, config, bic) => {
      const rejectEvery = options.rejectEvery === undefined ? 0 : count(options.rejectEvery, '--reject-every');
      const silentEvery = options.silentEvery === undefined ? 0 : count(options.silentEvery, '--silent-every');
      const signer = readSigner(options);
      const switchBic = config.switchBic ?? 'CLHSDEFFXXX';
      const stamp = processClock().now().getTime().toString(36).toUpperCase();
      let payments = 0;
      let answers = 0;
      const answer = async (fileName: string, xml: string, line: string): Promise<void> => {
        const bytes = encoder.encode(xml);
        await transport.put(fileName, bytes, signer ? signDetached(bytes, signer) : undefined);
        answers++;
        say(line);
      };
      for (const file of await transport.delivered()) {
        const type = typeOf(file);
        const xml = Buffer.from(file.bytes).toString('utf8');
        const now = isoDateTime(processClock().now());
        if (type.startsWith('pacs.008')) {
          const message = parsePacs008(xml);
          const t = message.transactions[0];
          const instrument = t?.paymentTypeInformation?.localInstrument;
          const realtime = message.transactions.length === 1 && instrument !== undefined && 'code' in instrument && instrument.code === 'INST';
          if (!realtime || !t) continue; // a bulk file: nothing to answer (fetch shows it)
          payments++;
          if (silentEvery > 0 && payments % silentEvery === 0) {
            say(`${file.fileName}: no answer (silent)`);
            await transport.done(file);
            continue;
          }
          const reject = rejectEvery > 0 && payments % rejectEvery === 0;
          const messageId = `${bic.slice(0, 8)}-A${stamp}-${answers + 1}`.slice(0, 35);
          await answer(`${messageId}.xml`, buildPacs002({
            groupHeader: { messageId, creationDateTime: now, instructingAgent: bic, instructedAgent: switchBic },
            originalGroups: [{ originalMessageId: message.groupHeader.messageId, originalMessageNameId: 'pacs.008.001.08' }],
            transactions: [{
              originalEndToEndId: t.paymentIdentification.endToEndId,
              ...(t.paymentIdentification.transactionId ? { originalTransactionId: t.paymentIdentification.transactionId } : {}),
              ...(t.paymentIdentification.uetr ? { originalUetr: t.paymentIdentification.uetr } : {}),
              transactionStatus: reject ? 'RJCT' : 'ACCP',
              ...(reject ? { statusReasons: [{ reason: { code: 'AC04' } }] } : {}),
            }],
          }), `${file.fileName}: pacs.002 ${messageId} ${reject ? 'RJCT AC04' : 'ACCP'}`);
        } else if (type.startsWith('camt.056')) {
          const recall = parseCamt056(xml);
          const requests = recall.underlying.flatMap((u) => u.transactions);
          const messageId = `${bic.slice(0, 8)}-R${stamp}-${answers + 1}`.slice(0, 35);
          const status = options.acceptRecalls ? 'CNCL' : 'RJCR';
          await answer(`${messageId}.xml`, buildCamt029({
            assignment: { id: messageId, assigner: bic, assignee: switchBic, creationDateTime: now },
            ...(recall.case ? { resolvedCase: recall.case } : {}),
            status,
            cancellationDetails: [{
              transactions: requests.map((r) => ({
                ...(r.originalTransactionId ? { originalTransactionId: r.originalTransactionId } : {}),
                ...(r.originalEndToEndId ? { originalEndToEndId: r.originalEndToEndId } : {}),
                ...(r.originalUetr ? { originalUetr: r.originalUetr } : {}),
                reasons: [],
              })),
            }],
          }), `${file.fileName}: camt.029 ${messageId} ${status}, ${requests.length} payment(s)`);
        } else {
          continue;
        }
        await transport.done(file);
      }
      say(`${answers} answer(s)`);
      return 0;
    }));

  bank.command('recall')
    .description("ask for one of the bank's own payments back: a camt.056 (recall) into the bank's inbound")
    .requiredOption('--bic <bic>', 'the bank that sent the payment (debtor agent)')
    .requiredOption('--tx <txid>', 'TxId of the payment to recall')
    .option('--uetr <uetr>', 'UETR of the payment')
    .option('--reason <code>', `cancellation reason (${RECALL_REASONS.join(', ')})`, 'DUPL')
    .option('--case <id>', 'case id (default: generated)')
    .option('--key <file>', "the bank's signing key (PEM)")
    .option('--cert <file>', "the bank's signing certificate (PEM)")
    .option('--mailbox <dir>', "the bank's mailbox directory")
    .option('--queue', 'use the bank\'s queues on REDIS_URL')
    .option('--config <file>', 'scheme configuration')
    .action((options) => run('recall', options, async (transport, config, bic) => {
      const txId = String(options.tx);
      if (!MAX35.test(txId)) throw new UsageError(`--tx: ${txId} is not a TxId (1..35 characters)`);
      const reason = String(options.reason).toUpperCase();
      if (!(RECALL_REASONS as readonly string[]).includes(reason)) throw new UsageError(`--reason: one of ${RECALL_REASONS.join(', ')}`);
      const stamp = processClock().now().getTime().toString(36).toUpperCase();
      const caseId = options.case === undefined ? `${bic.slice(0, 8)}-C${stamp}` : String(options.case);
      if (!MAX35.test(caseId)) throw new UsageError(`--case: ${caseId} is not a case id (1..35 characters)`);
      const signer = readSigner(options);
      const assignmentId = `${bic.slice(0, 8)}-RC${stamp}`.slice(0, 35);
      const xml = buildCamt056({
        assignment: { id: assignmentId, assigner: bic, assignee: config.switchBic ?? 'CLHSDEFFXXX', creationDateTime: isoDateTime(processClock().now()) },
        case: { id: caseId, creator: bic },
        underlying: [{ transactions: [{ originalTransactionId: txId, ...(options.uetr ? { originalUetr: String(options.uetr) } : {}),
          reasons: [{ reason: { code: reason }, additionalInformation: [] }] }] }],
      });
      const bytes = encoder.encode(xml);
      await transport.put(`${assignmentId}.xml`, bytes, signer ? signDetached(bytes, signer) : undefined);
      say(`${assignmentId}.xml: camt.056 case ${caseId}, recall of ${txId} (${reason})${signer ? ', signed' : ''}`);
      return 0;
    }));
}
