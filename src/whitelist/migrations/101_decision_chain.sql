-- The decision audit's hash chain (issue 13): every batch of decisions written to decision_audit is a
-- link of one chain, hashed over its rows' canonical content and the previous batch's hash
-- (src/scopes/decisionChain.ts). Each row names its batch. A batch holds the rows of one month, so a
-- partition dropped by retention takes whole batches with it and the verifier can tell that from a
-- deletion. decision_audit_head is the single row every batch write locks: the chain never forks.
-- Rows written before this migration carry no batch and are not covered.

ALTER TABLE decision_audit ADD COLUMN batch bigint;
CREATE INDEX decision_audit_batch ON decision_audit (batch, id);

CREATE TABLE decision_audit_batches (
  seq          bigint PRIMARY KEY CHECK (seq > 0),
  month        date NOT NULL,
  written_at   timestamptz NOT NULL,
  rows         integer NOT NULL CHECK (rows > 0),
  total        bigint NOT NULL,
  content_hash text NOT NULL,
  prev_hash    text NOT NULL,
  hash         text NOT NULL UNIQUE
);

CREATE TABLE decision_audit_head (
  id    integer PRIMARY KEY CHECK (id = 1),
  seq   bigint NOT NULL,
  total bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO decision_audit_head (id, seq, total, hash) VALUES (1, 0, 0, repeat('0', 64));

CREATE TRIGGER decision_audit_batches_append_only BEFORE UPDATE OR DELETE ON decision_audit_batches
  FOR EACH ROW EXECUTE FUNCTION decision_audit_refuse_change();
CREATE TRIGGER decision_audit_batches_no_truncate BEFORE TRUNCATE ON decision_audit_batches
  FOR EACH STATEMENT EXECUTE FUNCTION decision_audit_refuse_change();

GRANT SELECT, INSERT ON decision_audit_batches TO gateway_app;
GRANT SELECT, UPDATE ON decision_audit_head TO gateway_app;
