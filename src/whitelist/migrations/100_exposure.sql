-- Exposure limits, cohorts, breach containment and the decision audit (issue 4). Registry rows
-- (approvals, controllers, products) are referenced by id without foreign keys: limits and
-- suspensions must be recordable for whatever the registry source names, and outlive a row's edits.

-- Limits a controller set on one of its approvals (PUT /approvals/{id}/limits); merged into the
-- registry snapshot the gate and the decision point read.
CREATE TABLE approval_limits (
  approval_id text PRIMARY KEY,
  limits      jsonb NOT NULL,
  version     integer NOT NULL DEFAULT 1,
  updated_by  text NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- A controller's list of citizens (keyed pseudonyms only, never a personnummer).
CREATE TABLE cohorts (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  controller_id text NOT NULL,
  name          text NOT NULL,
  members       jsonb NOT NULL DEFAULT '[]',
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX cohorts_controller ON cohorts (controller_id);

-- A product stopped at one controller by breach containment. One suspension in force per pair, so
-- instances tripping at once record it once.
CREATE TABLE product_suspensions (
  id            text PRIMARY KEY,
  product_id    text NOT NULL,
  client_id     text NOT NULL,
  controller_id text NOT NULL,
  reason        text NOT NULL,
  suspended_at  timestamptz NOT NULL,
  lifted_at     timestamptz,
  lifted_by     text
);
CREATE UNIQUE INDEX product_suspensions_in_force ON product_suspensions (product_id, controller_id) WHERE lifted_at IS NULL;

-- What containment did and who lifted it: append-only.
CREATE TABLE containment_events (
  seq           bigserial PRIMARY KEY,
  at            timestamptz NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('suspended', 'lifted', 'webhook')),
  suspension_id text NOT NULL,
  product_id    text NOT NULL,
  controller_id text NOT NULL,
  actor         text NOT NULL,
  detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX containment_events_suspension ON containment_events (suspension_id);

-- Every decision of the policy decision point, permit and deny, kept for years and queried by
-- citizen ("who read my data"), so partitioned by month: retention drops whole partitions.
CREATE TABLE decision_audit (
  decided_at    timestamptz NOT NULL,
  id            uuid NOT NULL,
  decision      text NOT NULL CHECK (decision IN ('permit', 'deny')),
  reasons       text[] NOT NULL,
  interface     text NOT NULL,
  client_id     text,
  product_id    text,
  controller_id text,
  dataset       text,
  action        text,
  citizen       text,
  PRIMARY KEY (decided_at, id)
) PARTITION BY RANGE (decided_at);
CREATE INDEX decision_audit_citizen ON decision_audit (citizen, decided_at);
CREATE INDEX decision_audit_product ON decision_audit (product_id, controller_id, decided_at);

CREATE FUNCTION decision_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'decision_audit is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END;
$$;
CREATE TRIGGER decision_audit_append_only BEFORE UPDATE OR DELETE ON decision_audit
  FOR EACH ROW EXECUTE FUNCTION decision_audit_refuse_change();

-- Monthly partitions from the month of `at` up to `months_ahead` later. SECURITY DEFINER: the
-- application role may create partitions ahead but owns nothing it could alter.
CREATE FUNCTION decision_audit_prepare(at timestamptz, months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  first date := date_trunc('month', at AT TIME ZONE 'UTC')::date;
  m date;
  made integer := 0;
BEGIN
  FOR i IN 0..months_ahead LOOP
    m := (first + make_interval(months => i))::date;
    IF to_regclass(format('decision_audit_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'))) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF decision_audit FOR VALUES FROM (%L) TO (%L)',
        format('decision_audit_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM')),
        m::timestamp AT TIME ZONE 'UTC', (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      made := made + 1;
    END IF;
  END LOOP;
  RETURN made;
END;
$$;

-- Drops the partitions that ended more than retain_months before the month of `at`.
CREATE FUNCTION decision_audit_expire(at timestamptz, retain_months integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  cutoff date := (date_trunc('month', at AT TIME ZONE 'UTC') - make_interval(months => retain_months))::date;
  part record;
  dropped integer := 0;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'decision_audit'::regclass AND c.relname ~ '^decision_audit_y[0-9]{4}m[0-9]{2}$'
  LOOP
    IF make_date(substr(part.relname, 17, 4)::int, substr(part.relname, 22, 2)::int, 1) < cutoff THEN
      EXECUTE format('DROP TABLE %I', part.relname);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  RETURN dropped;
END;
$$;

GRANT SELECT, INSERT, UPDATE ON approval_limits, product_suspensions TO gateway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON cohorts TO gateway_app;
GRANT SELECT, INSERT ON containment_events, decision_audit TO gateway_app;
GRANT USAGE ON SEQUENCE containment_events_seq_seq TO gateway_app;
GRANT EXECUTE ON FUNCTION decision_audit_prepare(timestamptz, integer), decision_audit_expire(timestamptz, integer) TO gateway_app;
