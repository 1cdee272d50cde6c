-- Companies, users, sign-in, the safe list, the application connector registry and the audit trail.
CREATE TABLE companies (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  edition TEXT NOT NULL CHECK (edition IN ('STANDARD', 'PROFESSIONAL', 'DEVELOPER_SANDBOX')),
  development_partner BOOLEAN NOT NULL,
  entity_id TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  company_id TEXT REFERENCES companies (id),
  login_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  roles TEXT NOT NULL,
  is_operator BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  CHECK (is_operator = (company_id IS NULL))
);
CREATE INDEX users_company ON users (company_id);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  csrf_token TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users (id),
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);

CREATE TABLE safe_list_hosts (
  company_id TEXT NOT NULL REFERENCES companies (id),
  host TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
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
  verified BOOLEAN NOT NULL,
  verified_at BIGINT,
  last_test_at BIGINT,
  last_test_outcome TEXT,
  last_test_message TEXT,
  last_test_http_status INTEGER,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX connectors_company ON connectors (company_id, name);

CREATE TABLE connector_services (
  connector_id TEXT NOT NULL REFERENCES connectors (id),
  service TEXT NOT NULL,
  endpoint TEXT,
  active BOOLEAN NOT NULL,
  settings TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (connector_id, service)
);

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  company_id TEXT REFERENCES companies (id),
  actor_user_id TEXT,
  actor_label TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  details TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (company_id, target_type, target_id, id);
