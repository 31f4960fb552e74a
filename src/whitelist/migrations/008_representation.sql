-- Representation (docs/domain.md, rules 9 and 10): agents' mandates, their yearly reminders, each
-- controller's guardian policy for 13-15 year olds, and who acted for whom in a decision.

-- A citizen (the principal) appoints an agent with a typed mandate (src/citizens/representation/mandates.ts).
-- Pseudonyms are the lookup keys; the personnummer is kept because the relation is checked against the
-- population register at every use. A mandate is never deleted: revoking sets revoked_at.
CREATE TABLE representation_mandates (
  id               text PRIMARY KEY,
  principal        text NOT NULL,
  agent            text NOT NULL CHECK (agent <> principal),
  principal_number text NOT NULL CHECK (principal_number ~ '^[0-9]{12}$'),
  agent_number     text NOT NULL CHECK (agent_number ~ '^[0-9]{12}$'),
  types            jsonb NOT NULL,
  consents         jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL,
  appointed_with   text NOT NULL,
  expires_at       timestamptz NOT NULL,
  confirm_by       timestamptz NOT NULL,
  revoked_at       timestamptz
);
CREATE INDEX representation_mandates_agent ON representation_mandates (agent);
CREATE INDEX representation_mandates_principal ON representation_mandates (principal);

-- The yearly confirmation of a mandate: one row per reminder due; sent_at once it went out.
CREATE TABLE mandate_reminders (
  mandate_id text NOT NULL REFERENCES representation_mandates (id),
  due_at     timestamptz NOT NULL,
  sent_at    timestamptz,
  PRIMARY KEY (mandate_id, due_at)
);

-- The controller's maturity policy (rule 9): the data sets a guardian may still use for a child of
-- 13 to 15. Kept with the controller's policy and versioned with it; empty = none.
ALTER TABLE controller_policies ADD COLUMN guardian_datasets jsonb NOT NULL DEFAULT '[]';
ALTER TABLE controller_policy_versions ADD COLUMN guardian_datasets jsonb NOT NULL DEFAULT '[]';

-- Who acted for the citizen in a decision (the decision audit's rows name the citizen; this names the
-- actor beside them, by the decision's key). decision_audit itself is created by migration 100.
CREATE TABLE decision_audit_actors (
  decided_at timestamptz NOT NULL,
  id         uuid NOT NULL,
  actor      text NOT NULL,
  relation   text NOT NULL CHECK (relation IN ('guardian', 'agent')),
  PRIMARY KEY (decided_at, id)
);

GRANT SELECT, INSERT, UPDATE ON representation_mandates, mandate_reminders TO gateway_app;
GRANT SELECT, INSERT ON decision_audit_actors TO gateway_app;
