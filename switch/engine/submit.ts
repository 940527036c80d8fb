/**
 * The front door of intake: a submission is validated, then stored alone (intake.ts) or with the
 * real-time group (realtime-intake.ts); a concurrent submission of the same bytes is answered as the
 * replay it is.
 */
import { createHash } from 'node:crypto';
import { limits } from '../limits.ts';
import { validateFile } from '../validation/pipeline.ts';
import type { EngineContext } from './context.ts';
import { NONE, findReplay, intakeAlone, replayAfter, type CollectedTransaction, type Validated } from './intake.ts';
import { currentBusinessDate, futureDateRules } from './business-date.ts';
import { joinsRealtimeGroup, submitRealtime } from './realtime-intake.ts';
import type { IntakeResult, Submission } from './transport.ts';
import { RISK_LEAF_PATHS } from '../risk/facts.ts';

export async function submit(ctx: EngineContext, received: Submission): Promise<IntakeResult> {
  // The sender as the engine keeps every party: a participant's configured BIC, whichever form the
  // connector gave (its BIC8 and BIC11 name one participant, one key scope, one position).
  const submission = { ...received, sender: ctx.directory.canonical(received.sender) };
  const { bytes, sender } = submission;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length >= limits.replayCheckBeforeValidationBytesMin) {
    const replay = await findReplay(ctx, sender, sha256);
    if (replay) return replay;
  }

  const transactions: CollectedTransaction[] = [];
  const businessDate = currentBusinessDate(ctx);
  const report = await validateFile(bytes, {
    xsd: ctx.xsd, sender, directory: ctx.directory, businessDate, futureDates: futureDateRules(ctx, businessDate),
    onTransaction: (facts, span) => transactions.push({ facts: { ...facts, ibans: NONE, bics: NONE }, span }),
    // With a risk stage, its leaves are read in validation's walk (not a second walk of each element).
    ...(ctx.config.risk === undefined ? {} : { extraLeaves: RISK_LEAF_PATHS }),
  });
  const validated: Validated = { submission, sha256, report, transactions };
  // Single real-time payments arrive concurrently by the thousand: they share one transaction.
  if (joinsRealtimeGroup(ctx, validated)) return submitRealtime(ctx, validated);
  return intakeAlone(ctx, validated);
}

/**
 * Submit, and when a concurrent submission of the same bytes won the race (unique index
 * messages_inbound_once), answer as the replay it is.
 */
export async function submitOnce(ctx: EngineContext, submission: Submission): Promise<IntakeResult> {
  try {
    return await submit(ctx, submission);
  } catch (error) {
    const sha256 = createHash('sha256').update(submission.bytes).digest('hex');
    return replayAfter(ctx, error, ctx.directory.canonical(submission.sender), sha256);
  }
}
