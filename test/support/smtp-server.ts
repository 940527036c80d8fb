/**
 * A real MTA on loopback for the e-mail notification tests: OpenSMTPD (`apt-get install opensmtpd`,
 * ../shared/docs/TESTING.md; .ci/run installs it), listening on 127.0.0.1 on a free port, delivering every
 * recipient to one maildir the test reads, except the domain `refused.test`, whose recipients it
 * refuses (550). Its configuration and maildir live under /var/lib/clearhouse-test/smtp-<pid>/; the
 * maildir belongs to the account `clh-mail` (no shell, no password, created once and left in place,
 * as the SFTP test accounts). stop() kills the server by the PID this module started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const BASE = '/var/lib/clearhouse-test';
const SMTPD = '/usr/sbin/smtpd';
const USER = 'clh-mail';

export interface SmtpTestServer {
  readonly url: string;
  /** Every message delivered so far (raw RFC 5322 text), oldest first. */
  messages(): string[];
  stop(): Promise<void>;
  log(): string;
}

/** Starts the MTA; returns the reason as a string when it cannot be had (skip, or fail under CI). */
export async function startSmtpServer(): Promise<SmtpTestServer | string> {
  if (process.getuid?.() !== 0) return 'not root: cannot start OpenSMTPD for the e-mail tests';
  if (!existsSync(SMTPD)) return 'OpenSMTPD is not installed (apt-get install opensmtpd): e-mail notification tests';
  if (spawnSync('id', ['-u', USER]).status !== 0) {
    const made = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
    if (made.status !== 0 && spawnSync('id', ['-u', USER]).status !== 0) return `cannot create the mail account ${USER}: ${made.stderr}`;
  }
  const uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim());
  const run = join(BASE, `smtp-${process.pid}`);
  rmSync(run, { recursive: true, force: true });
  const maildir = join(run, 'Maildir');
  mkdirSync(maildir, { recursive: true });
  chownSync(maildir, uid, gid);
  const port = await freePort();
  const config = join(run, 'smtpd.conf');
  writeFileSync(config, [
    `listen on 127.0.0.1 port ${port}`,
    `action "box" maildir "${maildir}" virtual { "@" = "${USER}" }`,
    'match from any for domain "refused.test" reject',
    'match from any for any action "box"',
    '',
  ].join('\n'), { mode: 0o600 });
  const check = spawnSync(SMTPD, ['-n', '-f', config], { encoding: 'utf8' });
  if (check.status !== 0) return `smtpd -n refused the generated configuration: ${check.stderr}`;
  let stderr = '';
  const child: ChildProcess = spawn(SMTPD, ['-d', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8_000); });
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await waitForPort(port, 10_000);
  if (!ready) {
    child.kill('SIGTERM');
    return `smtpd did not listen on 127.0.0.1:${port}: ${stderr}`;
  }
  const read = (dir: string): string[] => existsSync(dir)
    ? readdirSync(dir).sort().map((f) => readFileSync(join(dir, f), 'utf8'))
    : [];
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages: () => [...read(join(maildir, 'cur')), ...read(join(maildir, 'new'))],
    log: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(run, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const { connect } = await import('node:net');
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
