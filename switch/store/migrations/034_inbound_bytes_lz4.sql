-- Inbound and outbound bytes compressed with lz4 instead of pglz (issue 15, docs/decisions.md "Intake
-- paid once"): an 11 MB batch file took about 0.1 CPU s of PostgreSQL to compress with pglz and 0.025 s
-- with lz4, to the same stored size (1.5 MB), and reading a span back decompresses faster too. Rows
-- already stored keep their pglz values (both read the same). A server built without lz4 (PGlite)
-- keeps pglz.
DO $$
BEGIN
  ALTER TABLE messages ALTER COLUMN bytes SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  NULL;
END $$;
