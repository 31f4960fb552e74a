-- The registry: controllers and their policies, trust frameworks, products, certifications,
-- approvals and role assignments. Every row carries a version for optimistic concurrency.

CREATE TABLE controllers (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  org_number  text NOT NULL UNIQUE CHECK (org_number ~ '^[0-9]{10}$'),
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('region', 'municipality', 'private_provider')),
  hsa_id      text,
  datasets    jsonb NOT NULL DEFAULT '[]',
  webhook_url text,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE frameworks (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name        text NOT NULL,
  description text,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- The current policy of each controller; every earlier version stays in controller_policy_versions.
CREATE TABLE controller_policies (
  controller_id text PRIMARY KEY REFERENCES controllers (id),
  accepts       jsonb NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);

CREATE TABLE controller_policy_versions (
  controller_id text NOT NULL REFERENCES controllers (id),
  version       integer NOT NULL,
  accepts       jsonb NOT NULL,
  decided_by    text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (controller_id, version)
);

CREATE TABLE products (
  id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name                text NOT NULL,
  supplier_org_number text NOT NULL CHECK (supplier_org_number ~ '^[0-9]{10}$'),
  supplier_name       text NOT NULL,
  purpose             text NOT NULL,
  contact             jsonb NOT NULL,
  status              text NOT NULL CHECK (status IN ('registered', 'active', 'suspended', 'retired')),
  client_id           text NOT NULL UNIQUE,
  client              jsonb NOT NULL,
  authn_methods       jsonb NOT NULL,
  minimum_acr         text,
  requested_access    jsonb NOT NULL,
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);

CREATE TABLE certifications (
  id           text PRIMARY KEY,
  product_id   text NOT NULL REFERENCES products (id),
  framework_id text NOT NULL REFERENCES frameworks (id),
  purpose      text NOT NULL,
  certified_by text NOT NULL,
  issued_at    timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL CHECK (expires_at > issued_at),
  evidence_ref text NOT NULL,
  status       text NOT NULL CHECK (status IN ('valid', 'withdrawn')),
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX certifications_product ON certifications (product_id);

CREATE TABLE approvals (
  id               text PRIMARY KEY,
  controller_id    text NOT NULL REFERENCES controllers (id),
  product_id       text NOT NULL REFERENCES products (id),
  purpose          text NOT NULL,
  access           jsonb NOT NULL,
  basis            text NOT NULL CHECK (basis IN ('own_review', 'trusted_reviewer', 'certification')),
  reviewer         text,
  certification_id text REFERENCES certifications (id),
  status           text NOT NULL CHECK (status IN ('active', 'revoked')),
  expires_at       timestamptz,
  decided_by       text NOT NULL,
  revoked_at       timestamptz,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CHECK (basis <> 'trusted_reviewer' OR reviewer IS NOT NULL),
  CHECK (basis <> 'certification' OR certification_id IS NOT NULL),
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
-- One live decision per controller, product and purpose: a second is a duplicate, not a silent overlap.
CREATE UNIQUE INDEX approvals_one_active ON approvals (controller_id, product_id, purpose) WHERE status = 'active';
CREATE INDEX approvals_product ON approvals (product_id);

CREATE TABLE role_assignments (
  id           text PRIMARY KEY,
  subject_kind text NOT NULL CHECK (subject_kind IN ('staff', 'client')),
  subject_id   text NOT NULL,
  role         text NOT NULL CHECK (role IN ('operator', 'certifier', 'controller_admin', 'supplier')),
  scope        text NOT NULL DEFAULT '',
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  UNIQUE (subject_kind, subject_id, role, scope),
  CHECK ((role = 'operator') = (scope = ''))
);
