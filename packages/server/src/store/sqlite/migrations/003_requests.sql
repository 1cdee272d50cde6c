-- Concur Request: travel agencies, workflows and their steps, Request policies, requests with their
-- expected expenses and comments, and the event outbox written in the same transaction as each
-- status change.
ALTER TABLE users ADD COLUMN manager_id TEXT REFERENCES users (id);
ALTER TABLE users ADD COLUMN employee_id TEXT;
ALTER TABLE users ADD COLUMN is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1));

CREATE TABLE travel_agencies (
  id TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  name TEXT NOT NULL,
  email_address TEXT NOT NULL,
  app_id TEXT REFERENCES applications (id),
  created_at INTEGER NOT NULL
);
CREATE INDEX travel_agencies_company ON travel_agencies (company_id);

CREATE TABLE workflows (
  id TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  name TEXT NOT NULL,
  approved_step_code TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX workflows_company ON workflows (company_id);

CREATE TABLE workflow_steps (
  workflow_id TEXT NOT NULL REFERENCES workflows (id),
  position INTEGER NOT NULL,
  role_code TEXT NOT NULL,
  custom_role TEXT,
  name TEXT NOT NULL,
  approver_type TEXT NOT NULL CHECK (approver_type IN ('MANAGER', 'USER', 'GROUP', 'CONNECTOR')),
  approver_user_id TEXT REFERENCES users (id),
  approver_group TEXT,
  connector_id TEXT REFERENCES connectors (id),
  notify INTEGER NOT NULL CHECK (notify IN (0, 1)),
  step_code TEXT,
  status_key TEXT NOT NULL,
  PRIMARY KEY (workflow_id, position)
);

CREATE TABLE approver_group_members (
  company_id TEXT NOT NULL REFERENCES companies (id),
  group_name TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  PRIMARY KEY (company_id, group_name, user_id)
);

CREATE TABLE request_policies (
  id TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  name TEXT NOT NULL,
  workflow_id TEXT NOT NULL REFERENCES workflows (id),
  is_default INTEGER NOT NULL CHECK (is_default IN (0, 1)),
  created_at INTEGER NOT NULL
);
CREATE INDEX request_policies_company ON request_policies (company_id);

CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  request_key TEXT NOT NULL,
  owner_id TEXT NOT NULL REFERENCES users (id),
  policy_id TEXT NOT NULL REFERENCES request_policies (id),
  travel_agency_id TEXT REFERENCES travel_agencies (id),
  name TEXT NOT NULL,
  business_purpose TEXT NOT NULL,
  comment TEXT NOT NULL,
  start_date TEXT,
  start_time TEXT,
  end_date TEXT,
  end_time TEXT,
  main_destination TEXT,
  custom_fields TEXT NOT NULL,
  status_code TEXT NOT NULL,
  step_position INTEGER,
  approver_id TEXT REFERENCES users (id),
  ever_sent_back INTEGER NOT NULL CHECK (ever_sent_back IN (0, 1)),
  closed INTEGER NOT NULL CHECK (closed IN (0, 1)),
  canceled_post_approval INTEGER NOT NULL CHECK (canceled_post_approval IN (0, 1)),
  created_at INTEGER NOT NULL,
  submitted_at INTEGER,
  approved_at INTEGER,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  UNIQUE (company_id, request_key)
);
CREATE INDEX requests_owner ON requests (company_id, owner_id);
CREATE INDEX requests_approver ON requests (company_id, approver_id);

CREATE TABLE request_expenses (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES requests (id),
  expense_type TEXT NOT NULL,
  transaction_date TEXT,
  amount_value TEXT,
  amount_currency TEXT,
  description TEXT NOT NULL,
  is_payment_card_related INTEGER NOT NULL CHECK (is_payment_card_related IN (0, 1)),
  created_at INTEGER NOT NULL
);
CREATE INDEX request_expenses_request ON request_expenses (request_id);

CREATE TABLE request_comments (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES requests (id),
  author_id TEXT REFERENCES users (id),
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX request_comments_request ON request_comments (request_id, created_at);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  company_id TEXT NOT NULL REFERENCES companies (id),
  topic TEXT NOT NULL,
  event_type TEXT NOT NULL,
  request_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_company ON events (company_id, seq);
CREATE INDEX events_request ON events (request_id, seq);
