/**
 * End to end through the engine: a bulk file is accepted and its cycle settled; the audit tick makes
 * the cycle's checkpoint, signed with the switch's key, and every participant's mailbox receives it;
 * the sender's inclusion proof of its file is checked with the procedure docs/audit.md gives (run as
 * written, with the real openssl and sha256sum), and the same procedure refuses a proof or a
 * checkpoint that has been altered.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCa, issueCertificate } from '../../connectors/signing/pki.ts';
import { writeProof } from '../../switch/audit/index.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { BANKS, backends, harness, SWITCH } from '../engine/support.ts';
import { requireOrSkip } from '../support/prerequisites.ts';

const procedure = (() => {
  const doc = readFileSync(new URL('../../docs/audit.md', import.meta.url), 'utf8');
  const block = /<!-- proof-check:begin -->\n```bash\n([\s\S]*?)```\n<!-- proof-check:end -->/.exec(doc);
  assert.ok(block, 'docs/audit.md has the proof-check procedure');
  return block[1]!;
})();

function runProcedure(dir: string, env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync('bash', ['-c', procedure], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const notBefore = new Date('2026-11-20T00:00:00Z');
const ca = createCa({ commonName: 'Audit Test CA', validDays: 3650, notBefore });
const switchCert = issueCertificate({ ca, bic: SWITCH, validDays: 364, notBefore });
const signer = { keyPem: switchCert.keyPem!, certPem: switchCert.certPem };

for (const backend of backends) {
  describe(`audit checkpoints and proofs (${backend})`, () => {
    it('publishes the cycle checkpoint to every participant and proves the sender\'s file with sha256sum and openssl', async (t) => {
      if (requireOrSkip(t, spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed')) return;
      const h = await harness(backend, undefined, xsd);
      try {
        const sender = DEMO_BANKS[0]!;
        const model = bulkCreditTransfer({ seed: 7, sender, receivers: [DEMO_BANKS[1]!, DEMO_BANKS[2]!], transactionCount: 25,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'AUDIT-PROOF-1' });
        const xml = buildPacs008(model);
        const result = await h.engine.submit({ bytes: new TextEncoder().encode(xml), sender: sender.bic });
        assert.equal(result.status, 'ACCP');
        const cycle = await h.closeAndSettle();
        const made = await h.engine.auditTick(signer);
        assert.deepEqual(made.map((c) => [c.kind, c.subject]), [['cycle', String(cycle)]]);
        assert.deepEqual(await h.engine.auditTick(signer), [], 'a checkpoint is made once');
        await h.dispatch();
        const fileName = made[0]!.fileName;
        for (const bic of BANKS) {
          assert.equal(readFileSync(join(h.mailboxes.root, bic, 'outbound', fileName), 'utf8'), made[0]!.document, `${bic} has the checkpoint`);
        }
        const proof = await h.engine.proveMessage({ participant: sender.bic, messageId: 'AUDIT-PROOF-1' });
        assert.equal(proof.root, made[0]!.merkleRoot);
        const dir = mkdtempSync(join(tmpdir(), 'clearhouse-proof-'));
        writeProof(dir, proof);
        writeFileSync(join(dir, 'ca.pem'), ca.certPem);
        writeFileSync(join(dir, 'message.xml'), xml);
        const env = { CA: 'ca.pem', MESSAGE: 'message.xml', PUBLISHED: join(h.mailboxes.root, sender.bic, 'outbound', fileName) };
        const good = runProcedure(dir, env);
        assert.equal(good.status, 0, good.out);
        assert.match(good.out, new RegExp(`OK: included under the published root ${proof.root}`));

        // Any alteration fails the procedure: another message, a changed entry, a changed path step, a forged checkpoint.
        const altered = (file: string, change: (text: string) => string): { status: number | null; out: string } => {
          const copy = mkdtempSync(join(tmpdir(), 'clearhouse-proof-'));
          for (const f of ['entry.txt', 'content.json', 'path.txt', 'checkpoint.xml', 'checkpoint.xml.p7s', 'ca.pem', 'message.xml']) copyFileSync(join(dir, f), join(copy, f));
          writeFileSync(join(copy, file), change(readFileSync(join(copy, file), 'latin1')), 'latin1');
          return runProcedure(copy, { ...env, ...(file === 'checkpoint.xml' ? { PUBLISHED: join(copy, 'checkpoint.xml') } : {}) });
        };
        assert.notEqual(altered('message.xml', (x) => x.replace('AUDIT-PROOF-1', 'AUDIT-PROOF-2')).status, 0, 'another file');
        assert.notEqual(altered('entry.txt', (x) => x.replace(/"(\d+)","/, (_m, p: string) => `"${Number(p) + 1}","`)).status, 0, 'a changed entry');
        assert.ok(proof.path.length > 0);
        assert.notEqual(altered('path.txt', (x) => x.replace(/[0-9a-f](?=\n)/, (d) => (d === '0' ? '1' : '0'))).status, 0, 'a changed path step');
        const forged = altered('checkpoint.xml', (x) => x.replace(/<MerkleRoot>[0-9a-f]{64}/, `<MerkleRoot>${'0'.repeat(64)}`));
        assert.notEqual(forged.status, 0, 'a forged checkpoint');
        assert.match(forged.out, /verif/i, 'refused by openssl');

        const report = await h.engine.verifyAudit();
        assert.ok(report.ok && report.checkpoints === 1, JSON.stringify(report, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v));
      } finally {
        await h.close();
      }
    });
  });
}
