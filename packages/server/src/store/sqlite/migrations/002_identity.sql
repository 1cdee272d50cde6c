-- OAuth2 applications, signing keys, company connections, and the one-time and refresh credentials.
CREATE TABLE applications (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  client_secret_hash TEXT NOT NULL,
  grants TEXT NOT NULL,
  scopes TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  active INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  private_key_encrypted TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);

CREATE TABLE company_connections (
  app_id TEXT NOT NULL REFERENCES applications (id),
  company_id TEXT NOT NULL REFERENCES companies (id),
  connected_at INTEGER NOT NULL,
  connected_by TEXT NOT NULL,
  disconnected_at INTEGER,
  PRIMARY KEY (app_id, company_id)
);
CREATE INDEX company_connections_company ON company_connections (company_id);

CREATE TABLE request_tokens (
  token_hash TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  app_id TEXT NOT NULL REFERENCES applications (id),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);

CREATE TABLE authorization_codes (
  code_hash TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES applications (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  redirect_uri TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES applications (id),
  principal_type TEXT NOT NULL CHECK (principal_type IN ('company', 'user')),
  company_id TEXT NOT NULL REFERENCES companies (id),
  user_id TEXT REFERENCES users (id),
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX refresh_tokens_connection ON refresh_tokens (app_id, company_id);
