/**
 * `clearhouse submit --as BIC FILE`: hand one file to the switch for a participant, outside its
 * connector. The switch believes the sender only when it is authenticated as on the connector
 * (docs/operations.md "Submitting for a participant"):
 *
 *   --signature FILE.p7s          the participant's detached signature over FILE, verified with the
 *                                 configured trust material (`signing` section) exactly as
 *                                 pollInbound verifies a connector's files: the signer must be BIC
 *   --operator NAME --reason TEXT an operator stands in for the participant; recorded in
 *                                 operator_actions before the file is submitted
 *
 * Never an operator for the settlement agent: its answers settle cycles, and only its own
 * authenticated channel may do that. Exit codes: 0 stored and accepted, 1 stored and rejected
 * (pacs.002 RJCT / admi.002) or signature refused, 2 usage or configuration error (nothing stored).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, type SchemeConfig } from '../config.ts';
import { OperatorActionError, checkOperatorAction, type OperatorAction } from '../engine/operator-actions.ts';
import { reasonCode } from '../iso/reason-codes.ts';
import { verifyDetached } from '../../connectors/signing/cms.ts';
import { loadTrust, trustSources, TrustMaterialError } from '../../connectors/signing/material.ts';
import { normalizeBic } from '../../connectors/signing/pki.ts';
import type { TrustAnchors } from '../../connectors/inbound.ts';
import { print, readConfig, withEngine, type CommonOptions } from './clearing.ts';

export interface SubmitOptions extends CommonOptions {
  readonly as: string;
  readonly signature?: string;
  readonly operator?: string;
  readonly reason?: string;
}

/** A BIC as the scheme writes it: 8 or 11 upper-case letters and digits. */
const BIC = /^[A-Z0-9]{8}([A-Z0-9]{3})?$/;

class SubmitRefused extends Error {}

export async function submitCommand(file: string, options: SubmitOptions): Promise<number> {
  // Everything that can be refused is refused here, at the door: before the store is opened.
  let prepared: Prepared;
  try {
    prepared = prepare(file, options, readConfig(options));
  } catch (error) {
    if (error instanceof SubmitRefused || error instanceof OperatorActionError || error instanceof TrustMaterialError ||
      error instanceof ConfigError) return refuse(error);
    throw error;
  }
  const { sender, bytes } = prepared;
  return withEngine(options, async (engine) => {
    // The participants in force are the store's register (a participant retired or added since the
    // file was written): checked again before anything is recorded or stored.
    if (!isParty(sender, engine.configuration)) return refuse(new SubmitRefused(`--as ${sender} is not a participant in force (retired?)`));
    let authenticated: string;
    if (prepared.trust) {
      const verdict = verifyDetached(bytes, prepared.signature, {
        caCertPems: prepared.trust.caCertPems, crls: prepared.trust.crls ?? [], expectedSigner: sender, now: engine.clock.now(),
      });
      if (!verdict.ok) {
        print(options, { refused: verdict.code, reason: verdict.message },
          `${file}: refused ${verdict.code} ${reasonCode(verdict.code)?.name ?? ''}: ${verdict.message}\n`);
        return 1;
      }
      authenticated = `signature good (${verdict.signer.bic} certificate ${verdict.signer.serial})`;
    } else {
      const recorded = await engine.recordOperatorAction(prepared.action!);
      authenticated = `operator action ${recorded.id} by ${prepared.action!.actor} recorded`;
    }
    const result = await engine.submit({ bytes, sender, fileName: basename(file) });
    print(options, { status: result.status, replay: result.replay, messageId: result.report.messageId, findings: result.report.findings,
      transactions: result.report.transactions.length, answer: result.answerXml, authenticated },
    `${file}: ${result.status}${result.replay ? ' (replay: stored answer)' : ''} ${result.report.messageId ?? ''}, ` +
      `${result.report.transactionCount} transaction(s); ${authenticated}\n` +
      result.report.findings.map((f) => `  ${f.code} ${f.path}: ${f.message}\n`).join(''));
    return result.status === 'RJCT' ? 1 : 0;
  });
}

/** What the submission needs once the door is passed: the sender, the bytes, and how it is authenticated. */
interface Prepared {
  readonly sender: string;
  readonly bytes: Buffer;
  /** --signature: the trust material to verify it with, and the signature. */
  readonly trust?: TrustAnchors;
  readonly signature?: Buffer;
  /** --operator: the action to record before the file is submitted. */
  readonly action?: OperatorAction;
}

function prepare(file: string, options: SubmitOptions, config: SchemeConfig): Prepared {
  checkForm(options);
  const sender = participantOf(options.as, config);
  const bytes = readExisting(file, 'file');
  if (options.signature !== undefined) {
    const trust = loadTrust(trustSources(config.signing, {}));
    if (!trust) throw new SubmitRefused('no scheme CA certificates are configured (signing.caCertificates): a signature cannot be verified');
    return { sender, bytes, trust, signature: readExisting(options.signature, 'signature') };
  }
  if (config.settlementAgent && sender === config.settlementAgent.bic) {
    throw new SubmitRefused(`${sender} is the settlement agent: its answers settle cycles, so only its own signed channel may submit ` +
      'for it (--signature); an operator cannot');
  }
  const action = checkOperatorAction({
    actor: options.operator!, action: 'message.submit', subject: sender, reason: options.reason!,
    details: { fileName: basename(file), sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length },
  });
  return { sender, bytes, action };
}

/** The options' shape, before anything is opened: one way of authenticating, with what it needs. */
function checkForm(options: SubmitOptions): void {
  if (!BIC.test(options.as)) {
    throw new SubmitRefused(`--as ${JSON.stringify(options.as)} is not a BIC (8 or 11 upper-case letters and digits)`);
  }
  const signed = options.signature !== undefined;
  const operator = options.operator !== undefined;
  if (signed && operator) throw new SubmitRefused('give either --signature (the participant signed the file) or --operator (you stand in for it), not both');
  if (!signed && !operator) {
    throw new SubmitRefused(`a file is submitted for ${options.as} only with its signature (--signature FILE.p7s) ` +
      'or as a recorded operator action (--operator NAME --reason TEXT)');
  }
  if (operator && (options.reason === undefined || options.reason.trim() === '')) throw new SubmitRefused('--operator needs --reason TEXT (recorded with the action)');
  if (!operator && options.reason !== undefined) throw new SubmitRefused('--reason goes with --operator');
}

function isParty(bic: string, config: SchemeConfig): boolean {
  return [...config.participants.map((p) => p.bic), ...(config.settlementAgent ? [config.settlementAgent.bic] : [])]
    .some((candidate) => normalizeBic(candidate) === normalizeBic(bic));
}

/** The configured participant (or the settlement agent) the BIC names, in its configured form. */
function participantOf(bic: string, config: SchemeConfig): string {
  const known = [...config.participants.map((p) => p.bic), ...(config.settlementAgent ? [config.settlementAgent.bic] : [])];
  const match = known.find((candidate) => normalizeBic(candidate) === normalizeBic(bic));
  if (match === undefined) throw new SubmitRefused(`--as ${bic} is not a participant of ${config.name}`);
  return match;
}

function readExisting(file: string, what: string): Buffer {
  if (!existsSync(file)) throw new SubmitRefused(`${what} ${file}: no such file`);
  return readFileSync(file);
}

function refuse(error: Error): number {
  process.stderr.write(`clearhouse submit: ${error.message}\n`);
  return 2;
}
