/**
 * Broken invariants of the clearing core. An InvariantViolation is a bug (positions that do not sum to
 * zero, a round bound exceeded, an obligation with a non-positive amount reaching netting), never an
 * input error: input errors are rejected earlier, as values with ISO reason codes. It is not caught;
 * it stops the process, as TigerBeetle's assertions do.
 */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/** Throws an InvariantViolation with `message` unless `condition` holds. */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}
