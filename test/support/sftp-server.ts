/**
 * A real OpenSSH SFTP server on loopback for the connector tests (OpenSSH installed: README, "What npm
 * test needs"): one system account per bank (`clh-<bic>`, no shell, no password,
 * created once and left in place: harmless and shared by concurrent runs), each chrooted into its own
 * root-owned mailbox directory with user-owned inbound/, outbound/ and archive/. The directory tree,
 * keys and sshd_config live under /var/lib/clearhouse-test/sftp-<pid>/ (a chroot may not sit under a
 * world-writable directory such as /tmp) and are removed by cleanup().
 *
 * Each account accepts two keys: the bank's own and the switch's (the connector logs in to the
 * bank's mailbox with the switch key). stop() kills the server and every session it spawned, so
 * clients see their connections drop (an outage); start() brings it back on the same port and host key.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import type { SftpMailbox } from '../../connectors/sftp.ts';

export type Side = 'inbound' | 'outbound' | 'archive';
const SIDES: readonly Side[] = ['inbound', 'outbound', 'archive'];
const BASE = '/var/lib/clearhouse-test';
const HOST = '127.0.0.1';

export interface BankAccount {
  readonly bic: string;
  readonly username: string;
  /** The chroot on disk (root-owned); the mailbox folders are inside. */
  readonly root: string;
  readonly bankKey: string;
  readonly switchKey: string;
}

/** What a bank does on its mailbox, over SFTP, as a bank would. */
export interface BankSession {
  /** Upload as NAME.part, then rename to NAME; then the signature the same way (if given). */
  upload(name: string, bytes: Uint8Array, signature?: Uint8Array): Promise<void>;
  /** Put a file under exactly this name (e.g. a `.part` still being written). */
  put(name: string, bytes: Uint8Array): Promise<void>;
  list(side: Side): Promise<string[]>;
  get(side: Side, name: string): Promise<Buffer>;
  end(): Promise<void>;
}

export interface SftpTestServer {
  readonly host: string;
  readonly port: number;
  readonly hostKeySha256: string;
  readonly accounts: ReadonlyMap<string, BankAccount>;
  /** The connector's mailbox configuration for a bank (switch key, pinned host key). */
  mailbox(bic: string): SftpMailbox;
  bank(bic: string): Promise<BankSession>;
  /** Path on disk of a mailbox folder (or a file in it), for assertions. */
  local(bic: string, side: Side, name?: string): string;
  /** Empty every mailbox folder (between tests). */
  clear(): void;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stop, and remove the directory tree. */
  cleanup(): Promise<void>;
  /** The server's recent stderr (for failure messages). */
  log(): string;
}

/** Starts the server for `bics`; returns the reason as a string when sshd cannot be had (skip). */
export async function startSftpServer(bics: readonly string[]): Promise<SftpTestServer | string> {
  if (process.getuid?.() !== 0) return 'not root: cannot create SFTP accounts and chroots for the sshd test server';
  const sshd = findSshd();
  if (!sshd) return 'sshd is not installed and `apt-get install openssh-server` failed: SFTP connector tests skipped';

  const run = join(BASE, `sftp-${process.pid}`);
  const etc = join(run, 'etc');
  rmSync(run, { recursive: true, force: true });
  for (const dir of [BASE, run, etc, join(etc, 'keys')]) rootDirectory(dir);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory

  const hostKey = join(etc, 'ssh_host_ed25519_key');
  keygen(hostKey);
  const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]))?.[0];
  if (!fingerprint) throw new Error('ssh-keygen printed no SHA256 fingerprint');
  const switchKeyPath = join(etc, 'switch_ed25519');
  keygen(switchKeyPath);

  const accounts = new Map<string, BankAccount>();
  for (const bic of bics) {
    const username = `clh-${bic.toLowerCase()}`;
    ensureUser(username);
    const uid = Number(sh('id', ['-u', username]).trim());
    const gid = Number(sh('id', ['-g', username]).trim());
    const root = join(run, username);
    rootDirectory(root);
    for (const side of SIDES) {
      mkdirSync(join(root, side), { recursive: true });
      chmodSync(join(root, side), 0o755);
      chownSync(join(root, side), uid, gid);
    }
    const bankKeyPath = join(etc, `${username}_bank_ed25519`);
    keygen(bankKeyPath);
    writeFileSync(join(etc, 'keys', `${username}.pub`), readFileSync(`${bankKeyPath}.pub`, 'utf8') + readFileSync(`${switchKeyPath}.pub`, 'utf8'), { mode: 0o644 });
    accounts.set(bic, { bic, username, root, bankKey: readFileSync(bankKeyPath, 'utf8'), switchKey: readFileSync(switchKeyPath, 'utf8') });
  }

  const port = await freePort(2222 + (process.pid % 1000));
  const users = [...accounts.values()].map((a) => a.username);
  const config = join(etc, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`,
    `ListenAddress ${HOST}`,
    `HostKey ${hostKey}`,
    `PidFile ${join(etc, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(etc, 'keys')}/%u.pub`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin no',
    `AllowUsers ${users.join(' ')}`,
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    `Match User ${users.join(',')}`,
    `  ChrootDirectory ${run}/%u`,
    '  ForceCommand internal-sftp',
    '  AllowTcpForwarding no',
    '  X11Forwarding no',
    '',
  ].join('\n'), { mode: 0o600 });
  const check = spawnSync(sshd, ['-t', '-f', config], { encoding: 'utf8' });
  if (check.status !== 0) return `sshd -t refused the generated configuration: ${check.stderr}`;

  let child: ChildProcess | undefined;
  let stderr = '';
  const server: SftpTestServer = {
    host: HOST, port, hostKeySha256: fingerprint, accounts,
    mailbox(bic) {
      const account = need(accounts, bic);
      return { participant: bic, host: HOST, port, username: account.username, privateKey: account.switchKey, hostKeySha256: fingerprint };
    },
    async bank(bic) {
      const account = need(accounts, bic);
      const client = new SftpClient(`bank-${bic}`, { error: () => {}, end: () => {}, close: () => {} });
      await client.connect({ host: HOST, port, username: account.username, privateKey: account.bankKey, readyTimeout: 10_000 });
      return {
        async upload(name, bytes, signature) {
          await client.put(Buffer.from(bytes), `/inbound/${name}.part`);
          await client.rename(`/inbound/${name}.part`, `/inbound/${name}`);
          if (signature) {
            await client.put(Buffer.from(signature), `/inbound/${name}.p7s.part`);
            await client.rename(`/inbound/${name}.p7s.part`, `/inbound/${name}.p7s`);
          }
        },
        async put(name, bytes) {
          await client.put(Buffer.from(bytes), `/inbound/${name}`);
        },
        async list(side) {
          return (await client.list(`/${side}`)).map((e) => e.name).sort();
        },
        async get(side, name) {
          return (await client.get(`/${side}/${name}`)) as Buffer;
        },
        async end() {
          await client.end();
        },
      };
    },
    local(bic, side, name) {
      const dir = join(need(accounts, bic).root, side);
      return name === undefined ? dir : join(dir, name);
    },
    clear() {
      for (const account of accounts.values()) {
        for (const side of SIDES) {
          for (const file of readdirSync(join(account.root, side))) rmSync(join(account.root, side, file), { force: true, recursive: true });
        }
      }
    },
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start() {
      if (server.running()) return;
      const started = spawn(sshd, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = started;
      started.stderr?.setEncoding('utf8');
      started.stderr?.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4000); });
      const deadline = Date.now() + 10_000;
      while (!(await accepts(port))) {
        if (started.exitCode !== null || started.signalCode !== null) throw new Error(`sshd exited at start: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`sshd does not accept connections on ${port}: ${stderr}`);
        await sleep(50);
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running?.pid || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      // An outage, not a graceful shutdown: OpenSSH keeps established sessions when the listener alone
      // stops, so kill every session it spawned too. Freeze the listener (no new sessions) while the
      // sessions are killed, let it run briefly to reap them (no zombies left to init), and kill it
      // once it is frozen with no session left. Bounded rounds.
      for (let round = 0; round < 5; round++) {
        process.kill(running.pid, 'SIGSTOP');
        const sessions = descendants(running.pid);
        if (sessions.length === 0) break;
        for (const pid of sessions) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
        }
        process.kill(running.pid, 'SIGCONT');
        for (let wait = 0; wait < 40 && descendants(running.pid).length > 0; wait++) await sleep(25);
      }
      process.kill(running.pid, 'SIGKILL');
      await exited;
    },
    async cleanup() {
      await server.stop();
      rmSync(run, { recursive: true, force: true });
    },
    log: () => stderr,
  };
  try {
    await server.start();
  } catch (error) {
    await server.cleanup();
    return `sshd could not be started: ${(error as Error).message}`;
  }
  return server;
}

function findSshd(): string | undefined {
  const which = (): string | undefined => {
    const found = spawnSync('sh', ['-c', 'command -v sshd || ls /usr/sbin/sshd'], { encoding: 'utf8' });
    const path = found.stdout.split('\n')[0]?.trim();
    return found.status === 0 && path ? path : undefined;
  };
  const present = which();
  if (present) return present;
  spawnSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', 'openssh-server', 'openssh-client'], { stdio: 'ignore', timeout: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return which();
}

function ensureUser(username: string): void {
  if (spawnSync('id', ['-u', username]).status !== 0) {
    const nologin = spawnSync('sh', ['-c', 'command -v nologin || echo /usr/sbin/nologin'], { encoding: 'utf8' }).stdout.trim();
    const added = spawnSync('useradd', ['-M', '-s', nologin, username], { encoding: 'utf8' });
    // 9: the user exists (created meanwhile by a concurrent run)
    if (added.status !== 0 && added.status !== 9) throw new Error(`useradd ${username}: ${added.stderr}`);
  }
  // Without a password field other than '!' the account counts as locked for sshd with UsePAM no.
  sh('usermod', ['-p', '*', username]);
}

function keygen(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'clearhouse-test', '-f', path]);
}

function rootDirectory(path: string): void {
  mkdirSync(path, { recursive: true });
  chownSync(path, 0, 0);
  chmodSync(path, 0o755);
}

function sh(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.error?.message}`);
  return result.stdout;
}

function need(accounts: ReadonlyMap<string, BankAccount>, bic: string): BankAccount {
  const account = accounts.get(bic);
  if (!account) throw new Error(`no SFTP test account for ${bic}`);
  return account;
}

/** Every process below `pid` (children, grandchildren), from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

async function freePort(first: number): Promise<number> {
  for (let port = first; port < first + 100; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, HOST, () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port from ${first}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
