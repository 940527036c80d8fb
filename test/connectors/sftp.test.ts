/**
 * The SFTP connector and signed file exchange end to end, against a real OpenSSH server on loopback
 * (test/support/sftp-server.ts) and the engine on real PostgreSQL: banks upload signed files as banks
 * do (`.part`, then rename), the switch polls, verifies and submits, clears and settles, and delivers
 * signed files back over SFTP. Refusals (DS codes in an admi.002), the pair rule, subdirectories in a
 * mailbox, replays and an SFTP outage in the middle of a dispatch run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../switch/engine/engine.ts';
import type { Deliver } from '../../switch/engine/transport.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { SettlementAgentSimulator } from '../../switch/demo/simulators.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parseAdmi002 } from '../../switch/iso/messages/admi.002.001.01/index.ts';
import { DirectoryMailboxes } from '../../connectors/directory.ts';
import { HostKeyMismatchError, SftpConnector } from '../../connectors/sftp.ts';
import { pollInbound, type TrustAnchors } from '../../connectors/inbound.ts';
import { signingDeliver } from '../../connectors/outbound.ts';
import { signDetached, verifyDetached } from '../../connectors/signing/cms.ts';
import { createCa, issueCertificate, type KeyAndCertificate } from '../../connectors/signing/pki.ts';
import { AGENT, freshPostgresUrl, schemeConfig, SWITCH, TestClock } from '../engine/support.ts';
import { startSftpServer, type SftpTestServer } from '../support/sftp-server.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

const A = 'BANKDEFFXXX';
const B = 'BANKFRPPXXX';
/** The outage the issue asks for is 30 s; the whole file stays well under 90 s with it (about 50 s). */
const OUTAGE_MS = 30_000;
/** Short connector retries, so a failing delivery costs about a second, not a minute. */
const TEST_LIMITS = { attemptsMax: 3, retryBaseDelayMs: 200, retryTotalMsMax: 3_000, circuitOpenMs: 1_000, readyTimeoutMs: 5_000, operationTimeoutMs: 10_000 };

const encoder = new TextEncoder();
const lines: string[] = [];
const log = (line: string): void => { lines.push(line); };

let server: SftpTestServer | undefined;
let skipReason = '';
let xsd: XsdValidator;
let trust: TrustAnchors;
let caCertPem: string;
const keys = new Map<string, KeyAndCertificate>();

before(async () => {
  const started = await startSftpServer([A, B]);
  if (typeof started === 'string') skipReason = started;
  else server = started;
  xsd = new XsdValidator();
  const notBefore = new Date(Date.parse('2026-11-26T09:00:00Z') - 86_400_000); // the engine's test clock, minus a day
  const ca = createCa({ commonName: 'Clearhouse Test CA', validDays: 3650, notBefore });
  caCertPem = ca.certPem;
  trust = { caCertPems: [ca.certPem] };
  for (const bic of [A, B, SWITCH]) {
    const issued = issueCertificate({ ca, bic, notBefore, validDays: 364 });
    keys.set(bic, { keyPem: issued.keyPem!, certPem: issued.certPem });
  }
});

after(async () => {
  await server?.cleanup();
  await xsd?.close();
});

interface World {
  readonly server: SftpTestServer;
  readonly engine: Engine;
  readonly clock: TestClock;
  readonly connector: SftpConnector;
  readonly agent: SettlementAgentSimulator;
  /** SFTP (signed) for the banks with a mailbox, the directory mailboxes for the settlement agent and the rest. */
  readonly deliver: Deliver;
  /** Deliver everything due (bounded passes). */
  dispatchAll(): Promise<number>;
  close(): Promise<void>;
}

async function world(): Promise<World> {
  const s = server!;
  s.clear();
  const clock = new TestClock();
  const engine = await Engine.open({ config: schemeConfig(), clock, xsd, databaseUrl: await freshPostgresUrl() });
  const connector = new SftpConnector({ mailboxes: [s.mailbox(A), s.mailbox(B)], limits: TEST_LIMITS, log });
  const directory = new DirectoryMailboxes(mkdtempSync(join(tmpdir(), 'clearhouse-sftp-test-')));
  const agent = new SettlementAgentSimulator(engine, directory, AGENT);
  const overSftp = signingDeliver(connector, keys.get(SWITCH)!);
  const deliver: Deliver = (m) => (m.recipient === A || m.recipient === B ? overSftp(m) : directory.deliver(m));
  return {
    server: s, engine, clock, connector, agent, deliver,
    async dispatchAll() {
      let total = 0;
      for (let pass = 0; pass < 20; pass++) {
        const n = await engine.dispatch(deliver);
        if (n === 0) break;
        total += n;
      }
      return total;
    },
    async close() {
      await connector.close();
      await engine.close();
    },
  };
}

function bulkFile(seed: number, sender: 0 | 1, receiver: 0 | 1, count: number): { name: string; bytes: Uint8Array } {
  const model = bulkCreditTransfer({
    seed, sender: DEMO_BANKS[sender]!, receivers: [DEMO_BANKS[receiver]!], transactionCount: count,
    settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${DEMO_BANKS[sender]!.bic.slice(0, 8)}-S${seed}`,
  });
  return { name: `pacs008-${DEMO_BANKS[sender]!.bic}-${seed}.xml`, bytes: encoder.encode(buildPacs008(model)) };
}

function sign(bic: string, bytes: Uint8Array): Uint8Array {
  return signDetached(bytes, keys.get(bic)!);
}

async function upload(w: World, bic: string, name: string, bytes: Uint8Array, signature?: Uint8Array): Promise<void> {
  const bank = await w.server.bank(bic);
  try {
    await bank.upload(name, bytes, signature);
  } finally {
    await bank.end();
  }
}

async function paymentCount(engine: Engine): Promise<number> {
  const [row] = await engine.storeForTests().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM payments');
  return row!.n;
}

/** Data files (not signatures) in a mailbox folder, read on the server's disk. */
function dataFiles(w: World, bic: string, side: 'inbound' | 'outbound' | 'archive'): string[] {
  return readdirSync(w.server.local(bic, side)).filter((f) => !f.endsWith('.p7s')).sort();
}

/** Every delivered file has its .p7s, and it verifies as signed by the switch. */
function assertSignedBySwitch(w: World, bic: string, name: string): Buffer {
  const bytes = readFileSync(w.server.local(bic, 'outbound', name));
  const signature = readFileSync(w.server.local(bic, 'outbound', `${name}.p7s`));
  const verdict = verifyDetached(bytes, signature, { caCertPems: [caCertPem], expectedSigner: SWITCH, now: w.clock.now() });
  assert.equal(verdict.ok, true, `${bic}/outbound/${name}: ${verdict.ok ? '' : verdict.message}`);
  return bytes;
}

/** The names the switch meant to deliver to `bic`: one per outbox row. */
async function expectedNames(engine: Engine, bic: string): Promise<string[]> {
  const rows = await engine.storeForTests().query<{ name: string }>(
    `SELECT DISTINCT m.message_type || '_' || m.message_id || '.xml' AS name
       FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.recipient = $1`, [bic]);
  return rows.map((r) => r.name).sort();
}

describe('SFTP connector against OpenSSH', () => {
  it('end to end: a signed bulk file over SFTP is verified, cleared, settled, and answered with signed files', async (t) => {
    if (!server) return void requireOrSkip(t, skipReason || 'no SFTP test server');
    const w = await world();
    try {
      const file = bulkFile(1, 0, 1, 25);
      await upload(w, A, file.name, file.bytes, sign(A, file.bytes));

      const polled = await pollInbound(w.engine, w.connector, [A, B], trust, undefined, { log });
      assert.deepEqual(polled.errors, []);
      assert.equal(polled.files.length, 1);
      const ack = polled.files[0]!;
      assert.equal(ack.outcome, 'accepted');
      assert.equal(ack.outcome === 'accepted' && ack.status, 'ACCP');
      assert.deepEqual(dataFiles(w, A, 'inbound'), [], 'picked-up pair moved away');
      assert.deepEqual(readdirSync(w.server.local(A, 'archive')).sort(), [file.name, `${file.name}.p7s`]);
      assert.equal(await paymentCount(w.engine), 25);

      assert.ok((await w.engine.closeCycle()) !== undefined);
      await w.dispatchAll();
      for (let round = 0; round < 5 && (await w.agent.answerAll()) > 0; round++) await w.dispatchAll();

      const [settled] = await w.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments_effective WHERE state = 'SETTLED'");
      assert.equal(settled!.n, 25);

      // Bank B, as a bank would: list and fetch its outbound over SFTP, verify the switch's signature.
      const bankB = await w.server.bank(B);
      try {
        const listing = await bankB.list('outbound');
        const bulks = listing.filter((f) => f.startsWith('pacs.008') && f.endsWith('.xml'));
        assert.equal(bulks.length, 1, `one bulk file for B: ${listing.join(', ')}`);
        const bytes = await bankB.get('outbound', bulks[0]!);
        const signature = await bankB.get('outbound', `${bulks[0]!}.p7s`);
        const verdict = verifyDetached(bytes, signature, { caCertPems: [caCertPem], expectedSigner: SWITCH, now: w.clock.now() });
        assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.message);
        assert.equal((bytes.toString('utf8').match(/<CdtTrfTxInf>/g) ?? []).length, 25);
        assert.ok(!listing.some((f) => f.endsWith('.part')), 'no temporary file left');
      } finally {
        await bankB.end();
      }

      // Bank A: its signed status reports, ACTC at intake, ACCP at netting, ACSC at settlement.
      const statuses = dataFiles(w, A, 'outbound').filter((f) => f.startsWith('pacs.002'))
        .map((f) => parsePacs002(assertSignedBySwitch(w, A, f).toString('utf8')).originalGroups[0]!.groupStatus);
      assert.deepEqual(statuses.sort(), ['ACCP', 'ACSC', 'ACTC']);
      for (const bic of [A, B]) {
        assert.deepEqual(dataFiles(w, bic, 'outbound'), await expectedNames(w.engine, bic), `${bic}: every message delivered once`);
        for (const name of dataFiles(w, bic, 'outbound')) assertSignedBySwitch(w, bic, name);
      }
      const pending = await w.engine.storeForTests().query("SELECT id FROM outbox WHERE state <> 'DELIVERED'");
      assert.equal(pending.length, 0);
    } finally {
      await w.close();
    }
  });

  it('refusals: a changed byte is DS17, the wrong signer DS0E, each answered with a signed admi.002; incomplete pairs are left alone', async (t) => {
    if (!server) return void requireOrSkip(t, skipReason || 'no SFTP test server');
    const w = await world();
    try {
      const flipped = bulkFile(2, 0, 1, 5);
      const signature = sign(A, flipped.bytes);
      const changed = Uint8Array.from(flipped.bytes);
      const at = Buffer.from(changed).indexOf('<Nm>') + 5;
      changed[at] = changed[at]! ^ 0x01; // one bit of a debtor name
      await upload(w, A, flipped.name, changed, signature);

      const foreign = bulkFile(3, 0, 1, 5);
      await upload(w, A, foreign.name, foreign.bytes, sign(B, foreign.bytes)); // signed by B, in A's mailbox

      const unsigned = bulkFile(4, 0, 1, 5);
      await upload(w, A, unsigned.name, unsigned.bytes); // no .p7s (yet)
      const half = bulkFile(5, 0, 1, 5);
      const bank = await w.server.bank(A);
      try {
        await bank.put(`${half.name}.p7s`, sign(A, half.bytes)); // signature first, data still being written
        await bank.put(`${half.name}.part`, half.bytes.subarray(0, 100));
      } finally {
        await bank.end();
      }
      // Subdirectories in inbound/, even a pair of them named like a file and its signature: left alone, blocking nothing.
      mkdirSync(w.server.local(A, 'inbound', 'a-subdirectory.xml'));
      mkdirSync(w.server.local(A, 'inbound', 'a-subdirectory.xml.p7s'));

      const polled = await pollInbound(w.engine, w.connector, [A], trust, undefined, { log });
      const refused = polled.files.map((f) => [f.fileName, f.outcome, f.outcome === 'refused' ? f.code : '']).sort();
      assert.deepEqual(refused, [[flipped.name, 'refused', 'DS17'], [foreign.name, 'refused', 'DS0E']].sort());
      assert.equal(await paymentCount(w.engine), 0, 'no payment from a refused file');
      const [stored] = await w.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM messages WHERE direction = 'in'");
      assert.equal(stored!.n, 0, 'refused files are not submitted');

      // Refused pairs are archived; the incomplete ones are still where the bank put them.
      assert.deepEqual(dataFiles(w, A, 'archive'), [flipped.name, foreign.name].sort());
      assert.deepEqual(readdirSync(w.server.local(A, 'inbound')).sort(),
        [unsigned.name, `${half.name}.p7s`, `${half.name}.part`, 'a-subdirectory.xml', 'a-subdirectory.xml.p7s'].sort());
      assert.equal((await pollInbound(w.engine, w.connector, [A], trust, undefined, { log })).files.length, 0, 'nothing new on a second poll');

      await w.dispatchAll();
      const answers = dataFiles(w, A, 'outbound').filter((f) => f.startsWith('admi.002'))
        .map((f) => parseAdmi002(assertSignedBySwitch(w, A, f).toString('utf8')));
      const byReference = Object.fromEntries(answers.map((a) => [a.relatedReference, a.reason]));
      assert.equal(answers.length, 2);
      assert.equal(byReference[flipped.name]?.rejectingPartyReason, 'DS17');
      assert.match(byReference[flipped.name]?.description ?? '', /does not match/);
      assert.equal(byReference[foreign.name]?.rejectingPartyReason, 'DS0E');
      assert.match(byReference[foreign.name]?.description ?? '', /signed by BANKFRPPXXX/);
      assert.equal(byReference[foreign.name]?.errorLocation, `${foreign.name}.p7s`);

      // The bank completes the pair: now it is picked up and accepted.
      await upload(w, A, `${unsigned.name}.p7s`, sign(A, unsigned.bytes));
      const later = await pollInbound(w.engine, w.connector, [A], trust, undefined, { log });
      assert.deepEqual(later.files.map((f) => [f.fileName, f.outcome]), [[unsigned.name, 'accepted']]);
      assert.equal(await paymentCount(w.engine), 5);
    } finally {
      await w.close();
    }
  });

  it('replay: the same file uploaded again after it was archived is answered as a replay and not processed twice', async (t) => {
    if (!server) return void requireOrSkip(t, skipReason || 'no SFTP test server');
    const w = await world();
    try {
      const file = bulkFile(6, 0, 1, 10);
      const signature = sign(A, file.bytes);
      await upload(w, A, file.name, file.bytes, signature);
      const first = await pollInbound(w.engine, w.connector, [A], trust, undefined, { log });
      assert.equal(first.files[0]?.outcome, 'accepted');
      await w.dispatchAll();
      const statusReports = (): string[] => dataFiles(w, A, 'outbound').filter((f) => f.startsWith('pacs.002'));
      const answersBefore = statusReports();
      assert.equal(answersBefore.length, 1, answersBefore.join(', '));

      await upload(w, A, file.name, file.bytes, signature); // same name, same bytes
      const second = await pollInbound(w.engine, w.connector, [A], trust, undefined, { log });
      assert.equal(second.files.length, 1);
      const ack = second.files[0]!;
      assert.equal(ack.outcome, 'replay');
      assert.equal(ack.outcome === 'replay' && ack.messageRowId, first.files[0]!.outcome === 'accepted' && first.files[0]!.messageRowId);
      assert.equal(await paymentCount(w.engine), 10, 'no payment twice');
      const [inbound] = await w.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM messages WHERE direction = 'in'");
      assert.equal(inbound!.n, 1);

      // The stored answer is delivered again under its own name: still one file, the same bytes.
      const answer = readFileSync(w.server.local(A, 'outbound', answersBefore[0]!));
      assert.ok((await w.dispatchAll()) >= 1);
      assert.deepEqual(statusReports(), answersBefore);
      assert.deepEqual(dataFiles(w, A, 'outbound'), await expectedNames(w.engine, A));
      assert.deepEqual(readFileSync(w.server.local(A, 'outbound', answersBefore[0]!)), answer);
      assert.match(answer.toString('utf8'), /<GrpSts>ACTC<\/GrpSts>/);
      // Both uploads are archived; the second under a unique name, as a pair.
      const archived = readdirSync(w.server.local(A, 'archive')).sort();
      assert.equal(archived.length, 4, archived.join(', '));
      assert.ok(archived.some((f) => f.startsWith(`${file.name}.dup-`) && f.endsWith('.p7s')));
      assert.deepEqual(dataFiles(w, A, 'inbound'), []);
    } finally {
      await w.close();
    }
  });

  it(`outage: the SFTP server stops for ${OUTAGE_MS / 1000} s in the middle of a dispatch run; afterwards everything is delivered exactly once`, async (t) => {
    if (!server) return void requireOrSkip(t, skipReason || 'no SFTP test server');
    const w = await world();
    try {
      const files = [bulkFile(7, 0, 1, 10), bulkFile(8, 1, 0, 10), bulkFile(9, 0, 1, 10), bulkFile(10, 1, 0, 10)];
      for (const [i, file] of files.entries()) {
        const sender = i % 2 === 0 ? A : B;
        await upload(w, sender, file.name, file.bytes, sign(sender, file.bytes));
      }
      const polled = await pollInbound(w.engine, w.connector, [A, B], trust, undefined, { log });
      assert.deepEqual(polled.files.map((f) => f.outcome), ['accepted', 'accepted', 'accepted', 'accepted']);
      assert.ok((await w.engine.closeCycle()) !== undefined);

      // The outage starts after the second file delivered over SFTP, inside one dispatcher pass.
      let sftpDelivered = 0;
      let stoppedAt: number | undefined;
      const deliver: Deliver = async (m) => {
        const viaSftp = m.recipient === A || m.recipient === B;
        if (viaSftp && sftpDelivered === 2 && stoppedAt === undefined) {
          await w.server.stop();
          stoppedAt = Date.now();
        }
        await w.deliver(m);
        if (viaSftp) sftpDelivered++;
      };
      const firstPass = await w.engine.dispatch(deliver).catch((error: Error) => {
        throw new Error(`a failed delivery must be recorded for a retry (outbox attempts, backoff), but the dispatcher pass failed: ${error.message}`, { cause: error });
      });
      assert.ok(stoppedAt !== undefined, 'the server went down during the pass');
      assert.ok(firstPass >= 2, 'files before the outage were delivered');
      const [failed] = await w.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM outbox WHERE state = 'PENDING' AND attempts > 0");
      assert.ok(failed!.n > 0, 'deliveries during the outage failed and wait for a retry');

      // Keep the switch running as it would: dispatcher passes (on a clock that follows real time, so
      // the outbox backoff applies), the settlement agent answering. The server comes back after OUTAGE_MS.
      let last = Date.now();
      const deadline = Date.now() + OUTAGE_MS + 40_000;
      let restarted = false;
      for (let round = 0; round < 400 && Date.now() < deadline; round++) {
        if (!restarted && Date.now() - stoppedAt >= OUTAGE_MS) {
          await w.server.start();
          restarted = true;
        }
        w.clock.advance(Date.now() - last);
        last = Date.now();
        await w.engine.dispatch(deliver);
        await w.agent.answerAll();
        const [open] = await w.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM outbox WHERE state <> 'DELIVERED'");
        const [unsettled] = await w.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments_effective WHERE state <> 'SETTLED'");
        if (restarted && open!.n === 0 && unsettled!.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.ok(restarted);

      const [states] = await w.engine.storeForTests().query<{ delivered: number; other: number; retried: number }>(
        `SELECT COUNT(*) FILTER (WHERE state = 'DELIVERED')::int AS delivered, COUNT(*) FILTER (WHERE state <> 'DELIVERED')::int AS other,
                COUNT(*) FILTER (WHERE attempts > 1)::int AS retried FROM outbox`);
      assert.equal(states!.other, 0, 'nothing lost, nothing FAILED');
      assert.ok(states!.retried > 0, 'some deliveries needed retries');
      const [attempts] = await w.engine.storeForTests().query<{ failed: number }>('SELECT COUNT(*) FILTER (WHERE NOT ok)::int AS failed FROM deliveries');
      assert.ok(attempts!.failed > 0);
      const [settled] = await w.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments_effective WHERE state = 'SETTLED'");
      assert.equal(settled!.n, 40);

      for (const bic of [A, B]) {
        const names = readdirSync(w.server.local(bic, 'outbound')).sort();
        assert.ok(!names.some((f) => f.endsWith('.part')), `${bic}: no temporary file left: ${names.join(', ')}`);
        const data = dataFiles(w, bic, 'outbound');
        assert.deepEqual(data, await expectedNames(w.engine, bic), `${bic}: each message exactly once under its name`);
        assert.equal(names.length, data.length * 2, `${bic}: every file with its signature`);
        for (const name of data) assertSignedBySwitch(w, bic, name);
        assert.ok(data.some((f) => f.startsWith('pacs.008')), `${bic} got its bulk file`);
      }
      assert.ok(lines.some((l) => /circuit open|ECONNREFUSED|attempt/.test(l)), 'the connector logged its retries');
    } finally {
      if (!w.server.running()) await w.server.start();
      await w.close();
    }
  });

  it('host key pinning: a server presenting another host key is refused, without retries', async (t) => {
    if (!server) return void requireOrSkip(t, skipReason || 'no SFTP test server');
    const wrong = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
    const connector = new SftpConnector({ mailboxes: [{ ...server.mailbox(A), hostKeySha256: wrong }], limits: TEST_LIMITS, log });
    try {
      const started = Date.now();
      await assert.rejects(connector.receive(A), (error: Error) => error instanceof HostKeyMismatchError && error.message.includes(server!.hostKeySha256));
      assert.ok(Date.now() - started < TEST_LIMITS.retryBaseDelayMs + 2_000, 'not retried');
      assert.ok(existsSync(server.local(A, 'inbound')));
    } finally {
      await connector.close();
    }
  });
});
