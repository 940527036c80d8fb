/**
 * The demo's audit step (docs/audit.md): the day's checkpoints (each settled cycle, the ended
 * business day) made and signed with a switch certificate under a demo CA, published to every
 * participant's mailbox; then one bank's inclusion proof of its first file, checked here as a
 * participant would (the root recomputed from the entry and path, the signature verified against the
 * CA), and written under DIR/audit/ with the CA so anyone can check it with sha256sum and openssl.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyDetached } from '../../connectors/signing/cms.ts';
import { createCa, issueCertificate } from '../../connectors/signing/pki.ts';
import { rootFromProof, writeProof } from '../audit/index.ts';
import type { Engine } from '../engine/engine.ts';

export interface DemoAuditResult {
  readonly checkpoints: readonly { kind: string; subject: string; entries: number; root: string; file: string }[];
  readonly proof: { readonly message: string; readonly leaf: number; readonly of: number; readonly root: string; readonly checked: boolean; readonly directory: string };
  readonly verified: boolean;
}

export async function demoAudit(engine: Engine, options: { readonly out: string; readonly prover: { readonly participant: string; readonly messageId: string };
  readonly dispatch: () => Promise<void>; readonly log: (line: string) => void }): Promise<DemoAuditResult> {
  const now = engine.clock.now();
  const ca = createCa({ commonName: 'Clearhouse Demo CA', validDays: 3650, notBefore: new Date(now.getTime() - 86_400_000) });
  const issued = issueCertificate({ ca, bic: engine.switchBic, validDays: 364, notBefore: new Date(now.getTime() - 86_400_000) });
  const made = await engine.auditTick({ keyPem: issued.keyPem!, certPem: issued.certPem });
  await options.dispatch();
  const checkpoints = made.map((c) => ({ kind: c.kind, subject: c.subject, entries: Number(c.lastPosition - c.firstPosition + 1n), root: c.merkleRoot, file: c.fileName }));
  for (const c of checkpoints) options.log(`   checkpoint ${c.kind} ${c.subject}: ${c.entries} ledger entries, root ${c.root.slice(0, 16)}…, published to every participant as ${c.file}`);

  const proof = await engine.proveMessage(options.prover);
  const directory = join(options.out, 'audit', `proof-${options.prover.messageId}`);
  writeProof(directory, proof);
  writeFileSync(join(options.out, 'audit', 'ca.pem'), ca.certPem);
  const rootOk = rootFromProof(proof.entry, proof.path).toString('hex') === proof.checkpoint.merkleRoot &&
    proof.checkpoint.document.includes(`<MerkleRoot>${proof.root}</MerkleRoot>`);
  const signature = verifyDetached(Buffer.from(proof.checkpoint.document, 'utf8'), proof.checkpoint.signed, { caCertPems: [ca.certPem], now });
  const checked = rootOk && signature.ok;
  options.log(`   ${options.prover.participant}'s proof of ${options.prover.messageId}: ledger entry ${proof.position}, leaf ${proof.leafIndex} of ${proof.treeSize}, ` +
    `${proof.path.length} path steps → root ${checked ? 'matches the signed checkpoint' : 'DOES NOT MATCH'} (${checkpoints.find((c) => c.file === proof.checkpoint.fileName)?.file ?? proof.checkpoint.fileName})`);
  options.log(`   check it yourself with sha256sum and openssl: docs/audit.md "Checking a proof", files in ${directory}, CA ${join(options.out, 'audit', 'ca.pem')}`);
  // As `clearhouse audit verify --config` with the scheme CA: every checkpoint's signature checked too.
  const report = await engine.verifyAudit({ trust: { caCertPems: [ca.certPem], switchBic: engine.switchBic } });
  options.log(`   clearhouse audit verify: ${report.ok ? `intact (${report.positions} entries, ${report.checkpoints} checkpoints, ` +
    `${report.signatures ?? 0} signatures by the switch under the CA, ${report.rows} rows)` : `BROKEN: ${report.broken.detail}`}`);
  return { checkpoints, proof: { message: options.prover.messageId, leaf: proof.leafIndex, of: proof.treeSize, root: proof.root, checked, directory }, verified: report.ok };
}
