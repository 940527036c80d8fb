/**
 * The audit ledger's commands (docs/audit.md):
 *
 *   clearhouse audit verify [--from N] [--to N] [--json]
 *
 * recomputes the chain (ledger positions N..M, default all), every checkpoint's Merkle root and chain
 * head, checks every checkpoint's signature by the switch (when the configuration names the scheme CA),
 * and compares every audited table with the journal's latest entry of each row. Exit 0 intact,
 * 1 broken (the first broken entry named), 2 usage or configuration error. Reads only.
 *
 *   clearhouse audit proof (--message ROW | --participant BIC --msg-id ID) [--out DIR] [--json]
 *
 * the inclusion proof of one message in the published checkpoint that covers it; --out writes the
 * files the procedure of docs/audit.md checks (entry.txt, path.txt, content.json, checkpoint.xml and
 * its .p7s). Exit 1 when there is no proof yet.
 *
 *   clearhouse audit checkpoint
 *
 * seals the journal and makes the checkpoints that are due now (serve does it every few seconds).
 */
import type { Command } from 'commander';
import { loadSigner, loadTrust, trustSources } from '../../connectors/signing/material.ts';
import { ProofError, writeProof, type CheckpointTrust, type InclusionProof } from '../audit/index.ts';
import type { SchemeConfig } from '../config.ts';
import { openReadOnly, print, withEngine, type CommonOptions } from './clearing.ts';

interface VerifyOptions extends CommonOptions { readonly from?: string; readonly to?: string }
interface ProofOptions extends CommonOptions { readonly message?: string; readonly participant?: string; readonly msgId?: string; readonly out?: string }

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit ledger: verify it, prove a message is in a published checkpoint (docs/audit.md)');
  audit.command('verify')
    .description('recompute the chain and the checkpoints\' roots, compare the tables with the journal; exit 1 naming the first broken entry')
    .option('--from <position>', 'first ledger position to recompute the chain from')
    .option('--to <position>', 'last ledger position')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: VerifyOptions) => { process.exitCode = await verifyCommand(options); });
  audit.command('proof')
    .description('inclusion proof of a message in the published checkpoint that covers it')
    .option('--message <row>', 'the message\'s row id (as `clearhouse` lists it)')
    .option('--participant <bic>', 'with --msg-id: the sender or recipient')
    .option('--msg-id <id>', 'with --participant: the message\'s MsgId')
    .option('--out <dir>', 'write entry.txt, path.txt, content.json, checkpoint.xml(.p7s) and proof.json there')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: ProofOptions) => { process.exitCode = await proofCommand(options); });
  audit.command('checkpoint')
    .description('seal the journal and make (and publish) the checkpoints that are due now')
    .option('--config <file>', 'scheme configuration')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => { process.exitCode = await checkpointCommand(options); });
}

const POSITION = /^[1-9][0-9]{0,17}$/;

/**
 * What checkpoints' signatures are judged against: the scheme CAs (and CRLs) of the configuration's
 * `signing` section and the switch's BIC; undefined when the configuration names no CA or no switch.
 * Throws when the signing material cannot be read. `audit verify` and `restore` use it alike.
 */
export function checkpointTrust(config: SchemeConfig): CheckpointTrust | undefined {
  const anchors = loadTrust(trustSources(config.signing, {}));
  if (!anchors || !config.switchBic) return undefined;
  return { caCertPems: anchors.caCertPems, ...(anchors.crls ? { crls: anchors.crls } : {}), switchBic: config.switchBic };
}

async function verifyCommand(options: VerifyOptions): Promise<number> {
  for (const [name, value] of [['--from', options.from], ['--to', options.to]] as const) {
    if (value !== undefined && !POSITION.test(value)) return usage('verify', `${name} takes a ledger position (1, 2, ...)`);
  }
  return withEngine(options, async (engine, config) => {
    // The checkpoints' signatures are judged against the scheme CAs (and CRLs) of the configuration's
    // `signing` section, as a participant judges the published files (docs/audit.md "Verifying").
    let trust;
    try {
      trust = checkpointTrust(config);
    } catch (error) {
      process.stderr.write(`clearhouse audit verify: ${(error as Error).message}\n`);
      return 2;
    }
    const report = await engine.verifyAudit({
      ...(options.from ? { from: BigInt(options.from) } : {}), ...(options.to ? { to: BigInt(options.to) } : {}),
      ...(trust ? { trust } : {}),
    });
    if (report.ok) {
      const signatures = report.signatures === null ? 'signatures NOT checked (no scheme CA in the configuration\'s signing section)'
        : `${report.signatures} signature(s) by the switch verified`;
      print(options, report, `audit ledger intact: ${report.positions} ledger entries chained, ${report.checkpoints} checkpoint(s) recomputed, ${signatures}, ${report.rows} rows match the journal\n`);
      return 0;
    }
    print(options, report, `audit ledger BROKEN: ${report.broken.detail}\n`);
    return 1;
  }, openReadOnly);
}

async function proofCommand(options: ProofOptions): Promise<number> {
  const byRow = options.message !== undefined;
  if (byRow === (options.participant !== undefined || options.msgId !== undefined)) return usage('proof', 'give --message ROW, or --participant BIC with --msg-id ID');
  if (byRow && !POSITION.test(options.message!)) return usage('proof', '--message takes a message row id');
  if (!byRow && (!options.participant || !options.msgId)) return usage('proof', '--participant and --msg-id go together');
  return withEngine(options, async (engine) => {
    let proof: InclusionProof;
    try {
      proof = await engine.proveMessage(byRow ? { messageRowId: BigInt(options.message!) } : { participant: options.participant!, messageId: options.msgId! });
    } catch (error) {
      if (!(error instanceof ProofError)) throw error;
      process.stderr.write(`clearhouse audit proof: ${error.message}\n`);
      return 1;
    }
    if (options.out) writeProof(options.out, proof);
    const { signed, ...checkpoint } = proof.checkpoint;
    print(options, { ...proof, checkpoint: { ...checkpoint, signed: signed ? Buffer.from(signed).toString('base64') : null } },
      `message ${proof.message.id} (${proof.message.messageType ?? '?'} ${proof.message.messageId ?? ''}) is ledger entry ${proof.position}, ` +
      `leaf ${proof.leafIndex} of ${proof.treeSize} in checkpoint ${proof.checkpoint.id} (${proof.checkpoint.kind} ${proof.checkpoint.subject}, ` +
      `published as ${proof.checkpoint.fileName})\nroot ${proof.root}\n${options.out ? `files written to ${options.out}: check them as docs/audit.md shows\n` : ''}`);
    return 0;
  }, openReadOnly);
}

async function checkpointCommand(options: CommonOptions): Promise<number> {
  return withEngine(options, async (engine, config) => {
    let signer;
    try {
      signer = loadSigner(trustSources(config.signing, {}));
    } catch (error) {
      process.stderr.write(`clearhouse audit checkpoint: ${(error as Error).message}\n`);
      return 2;
    }
    const made = await engine.auditTick(signer);
    print(options, made.map(({ signed, ...c }) => ({ ...c, signed: signed !== null })),
      made.length === 0 ? 'no checkpoint due\n' : made.map((c) => `checkpoint ${c.id}: ${c.kind} ${c.subject}, entries ${c.firstPosition}..${c.lastPosition}, root ${c.merkleRoot}\n`).join(''));
    return 0;
  });
}

function usage(command: string, message: string): number {
  process.stderr.write(`clearhouse audit ${command}: ${message}\n`);
  return 2;
}
