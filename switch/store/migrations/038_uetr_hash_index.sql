-- payments_by_uetr becomes a hash index (issue 15, docs/decisions.md #90). UETRs are random (UUID v4),
-- so every payment's entry in a b-tree lands on a random leaf page: at intake it was the costliest of
-- the six index entries a batch payment makes — measured on a bench-size table (200,000 payments
-- inserted in 20 statements of 10,000, alternating variants, loaded machine): about 1 CPU s of
-- PostgreSQL per 200,000 payments of the 1.9 s all six indexes cost, and 15.7 MB grown at random
-- against 6.7 MB for the hash index. Every query that reads it compares uetr with = (pacs.028 status
-- requests, returns, recalls, real-time answers: switch/engine/messages.ts, exceptions.ts, realtime.ts),
-- which a hash index serves alone or in a BitmapOr with payments_by_transaction, with the same plans;
-- none orders or ranges over uetr. Not unique, as before (uniqueness is idempotency_keys').
DROP INDEX payments_by_uetr;
CREATE INDEX payments_by_uetr ON payments USING hash (uetr) WHERE uetr IS NOT NULL;
