-- The Event Subscription Service: webhook subscriptions, one delivery per event and matching
-- subscription (written in the transaction that writes the event), every delivery attempt, and the
-- keys that sign webhook bodies.
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES applications (id),
  topic TEXT NOT NULL,
  filter TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  company_ids TEXT NOT NULL,
  groups TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_app ON subscriptions (app_id);
CREATE INDEX subscriptions_topic ON subscriptions (topic);

ALTER TABLE events ADD COLUMN signature TEXT;
ALTER TABLE events ADD COLUMN signature_kid TEXT;

CREATE TABLE deliveries (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_seq BIGINT NOT NULL REFERENCES events (seq),
  subscription_id TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'EXPIRED')),
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  last_status INTEGER,
  last_error TEXT,
  published_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_order ON deliveries (subscription_id, ordering_key, id);
CREATE INDEX deliveries_event ON deliveries (event_seq);

CREATE TABLE delivery_attempts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id BIGINT NOT NULL REFERENCES deliveries (id),
  attempted_at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  response_excerpt TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
CREATE INDEX delivery_attempts_age ON delivery_attempts (attempted_at);

CREATE TABLE webhook_signing_keys (
  kid TEXT PRIMARY KEY,
  private_key_encrypted TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT
);
