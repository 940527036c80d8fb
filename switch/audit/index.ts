/**
 * The tamper-evident audit ledger (docs/audit.md): a journal written by triggers, sealed into a hash
 * chain, checkpointed as signed Merkle roots published to every participant, verifiable end to end.
 */
export { AUDITED_TABLES, type AuditedTable } from './tables.ts';
export { journalHead, lowerSealHorizon, seal, type JournalHead, type SealResult } from './sealer.ts';
export { verifyAudit, verifyAuditIn, type BrokenEntry, type CheckpointTrust, type VerifyReport, type VerifyRange } from './verify.ts';
export { chainHash, entryText, inclusionProof, leafHash, merkleRoot, nodeHash, rootFromProof, type LedgerEntry, type ProofStep } from './merkle.ts';
export { auditTick, checkpointDocument, checkpointFileName, CHECKPOINT_MESSAGE_TYPE, listCheckpoints, makeCheckpoint, type Checkpoint, type CheckpointKind, type CheckpointOptions } from './checkpoint.ts';
export { proveMessage, ProofError, writeProof, type InclusionProof, type ProofQuery } from './proof.ts';
