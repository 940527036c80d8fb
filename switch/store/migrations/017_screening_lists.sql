-- Sanctions and negative lists for screening (switch/engine/screening-lists.ts, docs/risk.md "Screening").
--   screening_lists         one uploaded version of a named list: format, who loaded it, when, why (its
--                           operator action), the file's SHA-256, how many entries and values it holds
--   screening_list_entries  the values of a version: names and aliases (fuzzy-matched), BICs, IBANs and
--                           countries (exact), listed countries (kept for the reviewer)
-- The newest version of each name is in force; every engine's ScreeningLists polls max(id) and rebuilds
-- its index when it changes. A version is written whole in one transaction (a refused file leaves
-- nothing) and never changed: both tables are append-only, like the journal they refer to.
CREATE TABLE screening_lists (
  id bigserial PRIMARY KEY,
  name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  version integer NOT NULL CHECK (version >= 1),
  format text NOT NULL CHECK (format IN ('un', 'ofac', 'scheme')),
  loaded_at timestamptz NOT NULL,
  loaded_by text NOT NULL,
  action_id bigint NOT NULL REFERENCES operator_actions (id),
  source_sha256 text NOT NULL,
  entry_count integer NOT NULL CHECK (entry_count >= 0),
  value_count integer NOT NULL CHECK (value_count >= 0),
  UNIQUE (name, version)
);

CREATE TABLE screening_list_entries (
  -- Deferred: the entries are written first, the version row last, once its counts and SHA-256 are known.
  list_id bigint NOT NULL REFERENCES screening_lists (id) DEFERRABLE INITIALLY DEFERRED,
  seq integer NOT NULL,
  entry_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('name', 'bic', 'iban', 'country', 'listed_country')),
  value text NOT NULL,
  PRIMARY KEY (list_id, seq)
);

CREATE FUNCTION screening_lists_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER screening_lists_append_only BEFORE UPDATE OR DELETE ON screening_lists
  FOR EACH ROW EXECUTE FUNCTION screening_lists_append_only();
CREATE TRIGGER screening_list_entries_append_only BEFORE UPDATE OR DELETE ON screening_list_entries
  FOR EACH ROW EXECUTE FUNCTION screening_lists_append_only();
