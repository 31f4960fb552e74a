-- Each controller's jump policy (docs/sso.md, "Jumps"): which upstream e-IDs, and from what level of
-- assurance, it trusts a session made at another product for, when a citizen jumps to a product it
-- approved. No row: the controller accepts no jumps (fail closed). Every change is audited like the
-- controller's data-access policy.
CREATE TABLE controller_jump_policies (
  controller_id      text PRIMARY KEY REFERENCES controllers (id),
  accepted_upstreams jsonb NOT NULL,
  minimum_acr        text NOT NULL,
  version            integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);

-- 003 created the application's role.
GRANT SELECT, INSERT, UPDATE ON controller_jump_policies TO gateway_app;
