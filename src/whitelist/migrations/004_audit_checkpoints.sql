-- The published copy of the signed audit checkpoints (issue 13), one row per checkpoint, served at
-- GET /audit/checkpoints so every instance answers alike. The copy that counts is outside the database
-- (the checkpoint sinks, and whatever controllers keep): a row here is only trusted for its signature,
-- and audit:verify never reads this table. Append-only like the audit log itself.

CREATE TABLE audit_checkpoints (
  id         bigserial PRIMARY KEY,
  chain      text NOT NULL CHECK (chain IN ('registry', 'decision')),
  seq        bigint NOT NULL,
  signed     jsonb NOT NULL,
  written_at timestamptz NOT NULL
);
CREATE INDEX audit_checkpoints_chain ON audit_checkpoints (chain, seq, id);

CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END;
$$;
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change();

GRANT SELECT, INSERT ON audit_checkpoints TO gateway_app;
GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO gateway_app;
