/**
 * The tables of patchbay as Kysely sees them. Both dialects hold the same columns: times are epoch
 * milliseconds, JSON is text, and flags are booleans that SQLite hands back as 0/1 (read them through
 * `toBool`).
 */
import type { ColumnType, Generated, Selectable, Updateable } from 'kysely';

/** A boolean column: written as a boolean, read back as a boolean (PostgreSQL) or 0/1 (SQLite). */
export type Flag = ColumnType<boolean | 0 | 1, boolean, boolean>;

/** Reads a `Flag` column the same way on both dialects. */
export function toBool(value: boolean | 0 | 1 | number): boolean {
  return value === true || value === 1;
}

/** Companies: the tenants. */
export interface CompaniesTable {
  id: string;
  name: string;
  edition: string;
  development_partner: Flag;
  entity_id: string;
  created_at: number;
}

/** Users of a company, and platform operators (no company). */
export interface UsersTable {
  id: string;
  company_id: string | null;
  login_id: string;
  name: string;
  password_hash: string;
  roles: string;
  is_operator: Flag;
  created_at: number;
}

/** Console sign-ins; the cookie holds the token, the table only its SHA-256. */
export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

/** Operator API tokens for automation; only the SHA-256 of the token is kept. */
export interface ApiTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  label: string;
  created_at: number;
  last_used_at: number | null;
}

/** Hosts a company's connectors may be called on (Concur's safe list). */
export interface SafeListHostsTable {
  company_id: string;
  host: string;
  created_by: string;
  created_at: number;
}

/** Application connector registrations. Never deleted. */
export interface ConnectorsTable {
  id: string;
  company_id: string;
  name: string;
  description: string;
  host_name: string;
  user_name: string;
  password_encrypted: string;
  verified: Flag;
  verified_at: number | null;
  last_test_at: number | null;
  last_test_outcome: string | null;
  last_test_message: string | null;
  last_test_http_status: number | null;
  created_at: number;
  updated_at: number;
}

/** One service (callout or outbound message) of a connector. */
export interface ConnectorServicesTable {
  connector_id: string;
  service: string;
  endpoint: string | null;
  active: Flag;
  settings: string;
  updated_at: number;
}

/** Who changed what and when, per company. */
export interface AuditLogTable {
  id: Generated<number>;
  company_id: string | null;
  actor_user_id: string | null;
  actor_label: string;
  action: string;
  target_type: string;
  target_id: string;
  details: string;
  created_at: number;
}

/** Every table, by name. */
export interface Database {
  companies: CompaniesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  safe_list_hosts: SafeListHostsTable;
  connectors: ConnectorsTable;
  connector_services: ConnectorServicesTable;
  audit_log: AuditLogTable;
}

/** Rows as read back, per table. */
export type CompanyRow = Selectable<CompaniesTable>;
export type UserRow = Selectable<UsersTable>;
export type ConnectorRow = Selectable<ConnectorsTable>;
export type ConnectorServiceRow = Selectable<ConnectorServicesTable>;

/** Column changes, per table. */
export type CompanyUpdate = Updateable<CompaniesTable>;
export type ConnectorUpdate = Updateable<ConnectorsTable>;
