-- Outbound bulk files stored as what determines their bytes, not as the bytes (docs/decisions.md,
-- "Bulk files are stored as their composition and streamed to the connector"; docs/architecture.md
-- "Messages and their bytes"). A bulk
-- pacs.008 is its own group header and trailer around transaction elements copied from the stored,
-- immutable inbound files; such a message keeps bytes NULL in `messages` (its sha256 and size_bytes are
-- recorded as for every message) and one row here: `head` and `tail` are its own bytes, and element k
-- (in file order, joined by '\n') is bytes [starts[k], ends[k]) of inbound message sources[k], copied
-- as is when plain[k], else rewritten as switch/validation/forward.ts does (prefixes and comments out).
-- Whoever reads a message's bytes goes through switch/engine/message-bytes.ts, which composes them and
-- checks them against the stored sha256. Immutable, like the messages it belongs to.
ALTER TABLE messages ALTER COLUMN bytes DROP NOT NULL;

CREATE TABLE message_compositions (
  message_id bigint PRIMARY KEY REFERENCES messages (id),
  head bytea NOT NULL,
  tail bytea NOT NULL,
  sources bigint[] NOT NULL,
  starts integer[] NOT NULL,
  ends integer[] NOT NULL,
  plain boolean[] NOT NULL,
  CHECK (cardinality(sources) = cardinality(starts) AND cardinality(starts) = cardinality(ends) AND cardinality(ends) = cardinality(plain))
);
CREATE FUNCTION message_compositions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'message compositions are immutable (message %)', OLD.message_id;
END
$$;
CREATE TRIGGER message_compositions_immutable BEFORE UPDATE OR DELETE ON message_compositions
  FOR EACH ROW EXECUTE FUNCTION message_compositions_are_immutable();
