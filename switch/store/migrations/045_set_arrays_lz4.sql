-- The long arrays settlement and netting write once per cycle compressed with lz4 rather than pglz
-- (docs/decisions.md, "Batch settlement reads the cycle's payments once…"; docs/performance.md,
-- "s13-settle"). payment_transition_sets.payment_ids holds every payment a NET or SETTLE step moved:
-- 200,000 ids (1.6 MB) for the batch bench's cycle, which pglz took about 150 ms to compress on the
-- settling connection, in each of the two steps; lz4 about 10 ms, for a value of 0.8 instead of 0.65 MB.
-- message_compositions' arrays (a bulk file's sources, starts, ends and plain: 10,000 elements each in
-- the bench) likewise. Only the compression of values written from now on changes; reading is the same
-- for both methods, and the values read are the same. A server built without lz4 (PGlite, some
-- PostgreSQL builds) keeps pglz: `default_toast_compression` lists lz4 among its values only when it can.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE payment_transition_sets ALTER COLUMN payment_ids SET COMPRESSION lz4;
    ALTER TABLE message_compositions ALTER COLUMN sources SET COMPRESSION lz4,
      ALTER COLUMN starts SET COMPRESSION lz4, ALTER COLUMN ends SET COMPRESSION lz4, ALTER COLUMN plain SET COMPRESSION lz4;
  END IF;
END
$$;
