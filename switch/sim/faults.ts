/**
 * The simulation's traffic and fault kinds (docs/simulation.md), and the --faults list syntax.
 */

/**
 * Named traffic and fault kinds. `default: false` marks a scenario that exposes a defect still open
 * on main (issue 9) or that needs a capability the engine does not have yet (docs/simulation.md).
 */
export const FAULTS = {
  'silent-creditor': { default: true, what: 'creditor agents that never answer a real-time payment (AB05 after the timeout)' },
  'creditor-reject': { default: true, what: 'creditor agents that reject a real-time payment (RJCT AC04)' },
  'duplicate-file': { default: true, what: 'a batch file submitted twice at once (a replay)' },
  'replayed-file': { default: true, what: 'a file of an earlier cycle submitted again in a later one' },
  'connector-outage': { default: true, what: 'a participant unreachable for part of a cycle (deliveries fail and are retried)' },
  'cap-breach': { default: true, what: 'a participant with a low net debit cap (unwind AM23)' },
  'queue': { default: true, what: 'the real-time service queues payments over headroom (PDNG) instead of refusing them' },
  'returns': { default: true, what: 'creditors return settled payments (pacs.004)' },
  'recalls': { default: true, what: 'debtors recall settled payments (camt.056), creditors refuse (camt.029 RJCR)' },
  'status-requests': { default: true, what: 'pacs.028 status requests' },
  'settlement-rejection': { default: true, what: 'a participant whose settlement account cannot cover its debit: the agent refuses (AM04), the operator resolves the cycle (reinstruct after funding, or unwind-defaulter)' },
  'late-accept': { default: true, what: 'a creditor answers ACCP after the timeout; the creditor must be told of the failure (AB05)' },
  'recall-before-settlement': { default: true, what: 'a recall of a payment whose cycle is not settled: cancelled, camt.029 to the sender is its final outcome' },
  'future-dated': { default: true, what: 'batch files dated the next business day: warehoused, not in today\'s bulk files nor settled today' },
  'suspend': { default: true, what: 'a participant suspended mid-day and resumed (operator actions): what it sends meanwhile, and a payment to it, are refused AG10' },
  'return-unwind': { default: true, what: 'a return by a participant whose cap cannot take it (unwound)' },
  'crash': { default: true, what: 'the switch process killed (SIGKILL) at one of the engine\'s crash points, chosen by the seed, and started again on the same store' },
} as const;
export type FaultName = keyof typeof FAULTS;
export const DEFAULT_FAULTS: readonly FaultName[] = (Object.keys(FAULTS) as FaultName[]).filter((f) => FAULTS[f].default);
/** Not offered yet (parseFaults refuses them, pointing to docs/simulation.md): none at present. */
export const FAULTS_NOT_YET: readonly string[] = [];

/** A --faults list that names an unknown fault, or one not available yet. */
export class FaultListError extends Error {}

/** `default`, `all`, `none`, names, and `-name` to take one away, comma-separated, left to right. */
export function parseFaults(text: string | undefined): Set<FaultName> {
  const faults = new Set<FaultName>(DEFAULT_FAULTS);
  if (text === undefined) return faults;
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const remove = raw.startsWith('-');
    const name = remove ? raw.slice(1) : raw;
    if (name === 'default') { faults.clear(); DEFAULT_FAULTS.forEach((f) => faults.add(f)); continue; }
    if (name === 'all') { (Object.keys(FAULTS) as FaultName[]).forEach((f) => faults.add(f)); continue; }
    if (name === 'none') { faults.clear(); continue; }
    if (FAULTS_NOT_YET.includes(name)) throw new FaultListError(`fault ${name} is not available yet (docs/simulation.md)`);
    if (!(name in FAULTS)) throw new FaultListError(`unknown fault ${name}; known: ${Object.keys(FAULTS).join(', ')}`);
    if (remove) faults.delete(name as FaultName);
    else faults.add(name as FaultName);
  }
  return faults;
}

