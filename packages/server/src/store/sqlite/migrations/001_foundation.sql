-- Companies, users, sign-in, the safe list, the application connector registry and the audit trail.
CREATE TABLE companies (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  edition TEXT NOT NULL CHECK (edition IN ('STANDARD', 'PROFESSIONAL', 'DEVELOPER_SANDBOX')),
  development_partner INTEGER NOT NULL CHECK (development_partner IN (0, 1)),
  entity_id TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  company_id TEXT REFERENCES companies (id),
  login_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  roles TEXT NOT NULL,
  is_operator INTEGER NOT NULL CHECK (is_operator IN (0, 1)),
  created_at INTEGER NOT NULL,
  CHECK ((is_operator = 1) = (company_id IS NULL))
);
CREATE INDEX users_company ON users (company_id);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users (id),
  label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE TABLE safe_list_hosts (
  company_id TEXT NOT NULL REFERENCES companies (id),
  host TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (company_id, host)
);

CREATE TABLE connectors (
  id TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  host_name TEXT NOT NULL,
  user_name TEXT NOT NULL,
  password_encrypted TEXT NOT NULL,
  verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
  verified_at INTEGER,
  last_test_at INTEGER,
  last_test_outcome TEXT,
  last_test_message TEXT,
  last_test_http_status INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX connectors_company ON connectors (company_id, name);

CREATE TABLE connector_services (
  connector_id TEXT NOT NULL REFERENCES connectors (id),
  service TEXT NOT NULL,
  endpoint TEXT,
  active INTEGER NOT NULL CHECK (active IN (0, 1)),
  settings TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (connector_id, service)
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id TEXT REFERENCES companies (id),
  actor_user_id TEXT,
  actor_label TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  details TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (company_id, target_type, target_id, id);
