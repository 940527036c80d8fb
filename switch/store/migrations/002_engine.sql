-- Outbound message identifiers: one sequence shared by every process, so MsgIds never collide.
CREATE SEQUENCE outbound_message_number;

-- The MsgId under which a payment was forwarded to its creditor agent: the creditor agent's pacs.002
-- answers quote it (OrgnlMsgId) with the transaction's id.
ALTER TABLE payments ADD COLUMN forwarded_message_id text;
CREATE INDEX payments_forwarded ON payments (forwarded_message_id, transaction_id);

-- Settlement instructions are answered by the settlement agent quoting the instruction's MsgId.
ALTER TABLE settlement_instructions ADD COLUMN message_id text;
