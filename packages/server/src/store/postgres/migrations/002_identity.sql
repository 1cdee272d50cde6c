-- OAuth2 applications, signing keys, company connections, and the one-time and refresh credentials.
CREATE TABLE applications (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  client_secret_hash TEXT NOT NULL,
  grants TEXT NOT NULL,
  scopes TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  active BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  private_key_encrypted TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT
);

CREATE TABLE company_connections (
  app_id TEXT NOT NULL REFERENCES applications (id),
  company_id TEXT NOT NULL REFERENCES companies (id),
  connected_at BIGINT NOT NULL,
  connected_by TEXT NOT NULL,
  disconnected_at BIGINT,
  PRIMARY KEY (app_id, company_id)
);
CREATE INDEX company_connections_company ON company_connections (company_id);

CREATE TABLE request_tokens (
  token_hash TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  app_id TEXT NOT NULL REFERENCES applications (id),
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);

CREATE TABLE authorization_codes (
  code_hash TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES applications (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  redirect_uri TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES applications (id),
  principal_type TEXT NOT NULL CHECK (principal_type IN ('company', 'user')),
  company_id TEXT NOT NULL REFERENCES companies (id),
  user_id TEXT REFERENCES users (id),
  scopes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX refresh_tokens_connection ON refresh_tokens (app_id, company_id);
