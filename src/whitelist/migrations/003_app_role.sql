-- The application's own database role. It may read and write the registry, but on the audit log only
-- INSERT and SELECT: an UPDATE or DELETE by the application is refused by the privilege system before
-- any trigger runs. A DBA may create the role beforehand (then only the grants run here).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gateway_app') THEN
    CREATE ROLE gateway_app NOLOGIN;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO gateway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON controllers, frameworks, controller_policies, products,
  certifications, approvals, role_assignments TO gateway_app;
GRANT SELECT, INSERT ON controller_policy_versions TO gateway_app;
GRANT SELECT, INSERT ON audit_log TO gateway_app;
GRANT SELECT, UPDATE ON audit_head TO gateway_app;
GRANT SELECT ON schema_migrations TO gateway_app;
