-- Consent as a record (issue 12, docs/domain.md rule 6): what a citizen consented to, to whom, when,
-- how and in which words, and when it was withdrawn. The citizen is the keyed pseudonym of the account
-- (AccountStore.accountIdFor), never the personnummer. Registry rows are referenced by id without
-- foreign keys, as the decision point's tables are: a consent outlives a product's edits and is kept
-- after the product is gone, so a withdrawal stays traceable.
--
-- kind:
--   app_access             the citizen lets a product (app) reach a data set at a controller (the
--                          consent page), or receive their identity claims (dataset and controller NULL)
--   disclosure_secrecy     §6.3.2, first of three: the disclosing provider may lift secrecy
--   disclosure_processing  second: the disclosing provider may process the data for the disclosure
--                          (through the product and the gateway that carry it)
--   disclosure_receipt     third: the receiving provider may process what it received
-- A row is never deleted by the application: a withdrawal sets revoked_at.
CREATE TABLE consents (
  id             text PRIMARY KEY,
  citizen        text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('app_access', 'disclosure_secrecy', 'disclosure_processing', 'disclosure_receipt')),
  product_id     text NOT NULL,
  dataset        text,
  controller_id  text,
  -- The receiving provider of a disclosure (the kind's other party); NULL for app_access.
  recipient_id   text,
  actions        text[] NOT NULL DEFAULT '{}',
  claims         text[] NOT NULL DEFAULT '{}',
  text_version   text NOT NULL,
  locale         text NOT NULL,
  given_at       timestamptz NOT NULL,
  -- How it was given: the page (consent_page, account_page) and the e-ID the citizen was signed in with.
  given_how      text NOT NULL,
  revoked_at     timestamptz,
  revoked_how    text,
  CHECK (revoked_at IS NULL OR revoked_at >= given_at),
  CHECK ((revoked_at IS NULL) = (revoked_how IS NULL))
);
CREATE INDEX consents_citizen ON consents (citizen, product_id, given_at);
-- One consent in force per citizen, product, kind, data set and controller: giving it again while it
-- is in force is a no-op, and instances recording at once record it once.
CREATE UNIQUE INDEX consents_in_force ON consents (citizen, product_id, kind, coalesce(dataset, ''), coalesce(controller_id, ''), coalesce(recipient_id, ''))
  WHERE revoked_at IS NULL;
-- The decision point's revoked pairs: (product, citizen) with a withdrawn app consent.
CREATE INDEX consents_revoked ON consents (product_id, citizen) WHERE revoked_at IS NOT NULL;

-- 003 created the application's role. UPDATE only to withdraw; no DELETE.
GRANT SELECT, INSERT, UPDATE ON consents TO gateway_app;
