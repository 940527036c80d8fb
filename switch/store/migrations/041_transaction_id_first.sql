-- payments_by_transaction leads with transaction_id (docs/decisions.md, "Returns found by index"). A
-- return (pacs.004) or a recall (camt.056) that names its original by OrgnlTxId alone (the scheme makes
-- OrgnlUETR optional) is looked up by transaction id and the receiving bank, not by the original's
-- instructing agent, which it does not carry: with instructing_agent first, that read had no index
-- and scanned every payment. Lookups by both columns (a pacs.028 status request, a duplicate check)
-- still use the index; a payment still writes one entry into it.
DROP INDEX payments_by_transaction;
CREATE INDEX payments_by_transaction ON payments (transaction_id, instructing_agent);
