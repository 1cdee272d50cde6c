-- Callouts to application connectors: attendee types (bound to a Fetch Attendee connector), the request
-- form's custom fields (text, connected list, Launch URL), attendees added to requests, the Event
-- Notification queue (written in the transaction of the workflow transition), and the log of every call.
CREATE TABLE attendee_types (
  company_id TEXT NOT NULL REFERENCES companies (id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  allows_manual INTEGER NOT NULL CHECK (allows_manual IN (0, 1)),
  connector_id TEXT REFERENCES connectors (id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (company_id, code)
);

CREATE TABLE request_form_fields (
  company_id TEXT NOT NULL REFERENCES companies (id),
  field TEXT NOT NULL,
  label TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('TEXT', 'LIST', 'LAUNCH_URL')),
  connector_id TEXT REFERENCES connectors (id),
  list_name TEXT,
  popup_width INTEGER,
  popup_height INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (company_id, field)
);

CREATE TABLE request_attendees (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES requests (id),
  attendee_type_code TEXT NOT NULL,
  external_id TEXT,
  connector_id TEXT REFERENCES connectors (id),
  first_name TEXT NOT NULL,
  middle_initial TEXT NOT NULL,
  last_name TEXT NOT NULL,
  suffix TEXT NOT NULL,
  company TEXT NOT NULL,
  title TEXT NOT NULL,
  custom_fields TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX request_attendees_request ON request_attendees (request_id, created_at);

CREATE TABLE notifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  company_id TEXT NOT NULL REFERENCES companies (id),
  connector_id TEXT NOT NULL REFERENCES connectors (id),
  service TEXT NOT NULL,
  request_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_uri TEXT NOT NULL,
  context TEXT,
  status TEXT NOT NULL CHECK (status IN ('PENDING', 'FAILED')),
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  failed_at INTEGER
);
CREATE INDEX notifications_queue ON notifications (company_id, status, seq);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);

CREATE TABLE callout_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id TEXT NOT NULL,
  connector_id TEXT,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  url TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  http_status INTEGER,
  message TEXT NOT NULL,
  request_excerpt TEXT NOT NULL,
  response_excerpt TEXT NOT NULL
);
CREATE INDEX callout_log_company ON callout_log (company_id, id);
CREATE INDEX callout_log_age ON callout_log (started_at);
