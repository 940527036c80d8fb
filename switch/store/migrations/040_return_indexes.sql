-- Returns found by index, not by scanning payments (docs/decisions.md, "Returns found by index").
-- Accepting a pacs.004 sums what returns still in a cycle would return of its original
-- (original_payment_id = $1 AND kind = 'RETURN'): no index had original_payment_id, so each returned
-- transaction read the whole payments table. Settling a cycle reads its settled returns
-- (cycle_id = $1 AND kind = 'RETURN'): payments_cycle found them only by reading every payment of the
-- cycle (200,000 in the batch bench, usually to find none). Both indexes hold return rows only, so a
-- credit transfer's insert writes no entry into them, and no column they name is ever updated (kind,
-- cycle_id and original_payment_id are set once), so they keep netting's and settlement's updates HOT
-- (migration 032).
CREATE INDEX payments_returns_by_original ON payments (original_payment_id) WHERE kind = 'RETURN';
CREATE INDEX payments_returns_by_cycle ON payments (cycle_id) WHERE kind = 'RETURN';
