/**
 * One Connector per participant, built from its `connector` configuration (switch/config.ts), and a
 * router that hands each call to the right one (docs/connectors.md "Running serve with connectors"):
 *
 *   directory  DirectoryConnector: the participant's mailbox directory (inbound/, outbound/, archive/);
 *              a detached signature is the file `<name>.p7s` beside the data file, when present
 *   sftp       SftpConnector (one account per participant; the private key is read from its file)
 *   queue      QueueConnector on REDIS_URL (one shared connector for every queue participant)
 *
 * The settlement agent has a directory mailbox under `<dataDirectory>/mailboxes/<BIC>` by default.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import type { ConnectionOptions } from 'bullmq';
import type { Connector, InboundFile, OutboundFile } from './connector.ts';
import { DirectoryMailboxes, PRIVATE_DIRECTORY_MODE } from './directory.ts';
import { SftpConnector, type SftpMailbox } from './sftp.ts';
import { QueueConnector } from './queue.ts';
import type { SchemeConfig } from '../switch/config.ts';
import { silentLogger, toLogger, type LogSink, type Logger } from '../switch/log.ts';

export const SIGNATURE_SUFFIX = '.p7s';

interface DirectoryHandle {
  readonly box: string;
  readonly fileName: string;
}

/** How a directory mailbox is reached: DirectoryMailboxes keyed by the mailbox's own folder name. */
interface Mailbox {
  readonly mailboxes: DirectoryMailboxes;
  readonly box: string;
  /** False: delivered signatures are not written (a simulator that reads every file of outbound/). */
  readonly writeSignatures: boolean;
}

/**
 * DirectoryMailboxes as a Connector. A bank writes `<name>.p7s` before `<name>` (each renamed into
 * place), so a data file that is listed already has its signature beside it; delivery does the same.
 */
export class DirectoryConnector implements Connector {
  private readonly boxes = new Map<string, Mailbox>();
  private readonly log: Logger;
  /** Files that could not be read, reported once each (they stay where they are, for the operator). */
  private readonly unreadable = new Set<string>();

  /** `paths`: participant → mailbox directory (holding inbound/, outbound/, archive/). */
  constructor(paths: ReadonlyMap<string, string>, options: { readonly unsignedDelivery?: ReadonlySet<string>; readonly log?: LogSink } = {}) {
    for (const [participant, path] of paths) {
      this.boxes.set(participant, {
        mailboxes: new DirectoryMailboxes(dirname(path)), box: basename(path),
        writeSignatures: !(options.unsignedDelivery?.has(participant) ?? false),
      });
    }
    this.log = options.log === undefined ? silentLogger : toLogger(options.log);
  }

  /**
   * The regular files of inbound/ with their signatures. A file that cannot be read (removed since
   * the listing, replaced by a link, a name that is not UTF-8) is skipped and reported once: one bad
   * entry never keeps the others from being taken.
   */
  async receive(participant: string): Promise<InboundFile[]> {
    const { mailboxes, box } = this.mailbox(participant);
    const names = mailboxes.inbound(box);
    const present = new Set(names);
    const files: InboundFile[] = [];
    for (const fileName of names.filter((name) => !name.endsWith(SIGNATURE_SUFFIX))) {
      const signatureName = `${fileName}${SIGNATURE_SUFFIX}`;
      try {
        const signature = present.has(signatureName) ? mailboxes.read(box, 'inbound', signatureName) : undefined;
        const handle: DirectoryHandle = { box, fileName };
        files.push({ sender: participant, fileName, bytes: mailboxes.read(box, 'inbound', fileName), ...(signature ? { signature } : {}), handle });
      } catch (error) {
        const key = `${participant}\0${fileName}`;
        if (!this.unreadable.has(key)) {
          this.unreadable.add(key);
          this.log.warn({ participant, fileName, err: error }, 'inbound file not readable: left in the mailbox, the other files are taken');
        }
      }
    }
    return files;
  }

  async acknowledge(file: InboundFile): Promise<void> {
    const { mailboxes, box } = this.mailbox(file.sender);
    const inbound = join(mailboxes.root, box, 'inbound');
    for (const name of [file.fileName, `${file.fileName}${SIGNATURE_SUFFIX}`]) {
      if (existsSync(join(inbound, name))) mailboxes.archive(box, name);
    }
  }

  async deliver(file: OutboundFile): Promise<void> {
    const { mailboxes, box, writeSignatures } = this.mailbox(file.recipient);
    if (file.signature && writeSignatures) {
      await mailboxes.deliver({ recipient: box, fileName: `${file.fileName}${SIGNATURE_SUFFIX}`, bytes: file.signature });
    }
    await mailboxes.deliver(file.content ? { recipient: box, fileName: file.fileName, content: file.content }
      : { recipient: box, fileName: file.fileName, bytes: file.bytes });
  }

  async close(): Promise<void> { /* nothing held open */ }

  private mailbox(participant: string): Mailbox {
    const mailbox = this.boxes.get(participant);
    if (!mailbox) throw new Error(`DirectoryConnector: no mailbox for ${participant}`);
    mkdirSync(join(mailbox.mailboxes.root, mailbox.box), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    return mailbox;
  }
}

/** Sends each call to the connector of the participant it concerns. */
export class RouterConnector implements Connector {
  constructor(private readonly routes: ReadonlyMap<string, Connector>) {}

  receive(participant: string): Promise<InboundFile[]> {
    return this.route(participant).receive(participant);
  }

  acknowledge(file: InboundFile): Promise<void> {
    return this.route(file.sender).acknowledge(file);
  }

  deliver(file: OutboundFile): Promise<void> {
    return this.route(file.recipient).deliver(file);
  }

  async close(): Promise<void> {
    for (const connector of new Set(this.routes.values())) await connector.close();
  }

  private route(participant: string): Connector {
    const connector = this.routes.get(participant);
    if (!connector) throw new Error(`no connector for ${participant}`);
    return connector;
  }
}

export interface RegistryOptions {
  /** REDIS_URL for queue participants (required when one is configured). */
  readonly redisUrl?: string;
  /** Participants whose directory mailbox gets no `.p7s` files (the settlement-agent simulator). */
  readonly unsignedDelivery?: ReadonlySet<string>;
  readonly log?: LogSink;
}

/** Mailbox directory of the settlement agent (and of any participant without a connector entry). */
export function defaultMailbox(config: SchemeConfig, bic: string): string {
  return join(config.dataDirectory, 'mailboxes', bic);
}

/**
 * Every counterparty's mailbox by kind (participants', and the settlement agent's): directory
 * mailboxes by path, SFTP mailboxes as the connector takes them, queue participants by BIC.
 */
export function mailboxesByKind(config: SchemeConfig): { directories: Map<string, string>; sftp: SftpMailbox[]; queues: string[] } {
  const directories = new Map<string, string>();
  const sftp: SftpMailbox[] = [];
  const queues: string[] = [];
  // The settlement agent is a counterparty like a participant: its own connector when configured.
  const counterparties = [...config.participants, ...(config.settlementAgent?.connector ? [{ bic: config.settlementAgent.bic, connector: config.settlementAgent.connector }] : [])];
  for (const { bic, connector } of counterparties) {
    if (connector.type === 'directory') directories.set(bic, connector.path);
    else if (connector.type === 'queue') queues.push(bic);
    else {
      sftp.push({
        participant: bic, host: connector.host, port: connector.port, username: connector.username,
        privateKey: readFileSync(connector.privateKeyPath), hostKeySha256: connector.hostKeySha256,
        directory: sftpDirectory(bic, connector.inbound, connector.outbound),
      });
    }
  }
  const agent = config.settlementAgent?.bic;
  if (agent !== undefined && !directories.has(agent) && !queues.includes(agent) && !sftp.some((m) => m.participant === agent)) {
    directories.set(agent, defaultMailbox(config, agent));
  }
  return { directories, sftp, queues };
}

/** The router over every participant's connector and the settlement agent's directory mailbox. */
export function buildConnectors(config: SchemeConfig, options: RegistryOptions = {}): RouterConnector {
  const { directories, sftp, queues: queued } = mailboxesByKind(config);
  const routes = new Map<string, Connector>();
  const directory = new DirectoryConnector(directories, {
    ...(options.unsignedDelivery ? { unsignedDelivery: options.unsignedDelivery } : {}), ...(options.log ? { log: options.log } : {}),
  });
  for (const bic of directories.keys()) routes.set(bic, directory);
  if (sftp.length > 0) {
    const connector = new SftpConnector({ mailboxes: sftp, ...(options.log ? { log: options.log } : {}) });
    for (const box of sftp) routes.set(box.participant, connector);
  }
  if (queued.length > 0) {
    if (!options.redisUrl) throw new Error(`participants ${queued.join(', ')} use the queue connector: set REDIS_URL`);
    const log = options.log === undefined ? undefined : toLogger(options.log);
    const connector = new QueueConnector({
      connection: redisConnection(options.redisUrl),
      ...(log ? { onError: (error: unknown) => log.error({ component: 'queue', err: error }, 'queue connector error') } : {}),
    });
    for (const bic of queued) routes.set(bic, connector);
  }
  return new RouterConnector(routes);
}

/** ioredis connection options of a redis:// URL, its /<db> included (BullMQ needs maxRetriesPerRequest: null). */
export function redisConnection(url: string): ConnectionOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname, port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    // redis://host:port/<n> selects logical database n (ioredis's own URL parsing does the same).
    ...(/^\/\d+$/.test(parsed.pathname) ? { db: Number(parsed.pathname.slice(1)) } : {}),
    maxRetriesPerRequest: null,
  };
}

/**
 * The SftpConnector works on `<directory>/inbound` and `<directory>/outbound`: the configured folders
 * must be named so, side by side (the defaults "inbound" and "outbound" are, under the account's root).
 */
function sftpDirectory(bic: string, inbound: string, outbound: string): string {
  const root = posix.dirname(inbound);
  if (posix.basename(inbound) !== 'inbound' || posix.basename(outbound) !== 'outbound' || posix.dirname(outbound) !== root) {
    throw new Error(`${bic}: the SFTP connector needs folders "<dir>/inbound" and "<dir>/outbound" side by side (got ${inbound}, ${outbound})`);
  }
  return root === '.' ? '/' : root;
}
