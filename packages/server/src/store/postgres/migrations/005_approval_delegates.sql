-- Approval delegates: a delegate may approve or send back on behalf of a delegator (Request v4's
-- delegatorUserId).
CREATE TABLE approval_delegates (
  company_id TEXT NOT NULL REFERENCES companies (id),
  delegator_id TEXT NOT NULL REFERENCES users (id),
  delegate_id TEXT NOT NULL REFERENCES users (id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (delegator_id, delegate_id)
);
