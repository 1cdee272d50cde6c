/**
 * The tables of patchbay as Kysely sees them. Both dialects hold the same columns: times are epoch
 * milliseconds, JSON is text, and flags are booleans that SQLite hands back as 0/1 (read them through
 * `toBool`).
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

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
  manager_id: ColumnType<string | null, string | null | undefined, string | null>;
  employee_id: ColumnType<string | null, string | null | undefined, string | null>;
  is_test: ColumnType<boolean | 0 | 1, boolean | undefined, boolean>;
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

/** OAuth2 client applications registered by operators; `id` is the client id. */
export interface ApplicationsTable {
  id: string;
  name: string;
  client_secret_hash: string;
  grants: string;
  scopes: string;
  redirect_uris: string;
  active: Flag;
  created_at: number;
  updated_at: number;
}

/** RSA keys that sign patchbay's JWTs; retired keys no longer verify. */
export interface SigningKeysTable {
  kid: string;
  private_key_encrypted: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/** Which companies are connected to which applications (Concur's App Center connections). */
export interface CompanyConnectionsTable {
  app_id: string;
  company_id: string;
  connected_at: number;
  connected_by: string;
  disconnected_at: number | null;
}

/** Company Request Tokens: single use, 24 hours, for one application. */
export interface RequestTokensTable {
  token_hash: string;
  company_id: string;
  app_id: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** One-time authorization codes (the Launch External URL `client_auth_code`). */
export interface AuthorizationCodesTable {
  code_hash: string;
  app_id: string;
  user_id: string;
  redirect_uri: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Refresh tokens for company and user tokens. */
export interface RefreshTokensTable {
  token_hash: string;
  app_id: string;
  principal_type: 'company' | 'user';
  company_id: string;
  user_id: string | null;
  scopes: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** Travel agency offices; a request's agency is its event `groups`. */
export interface TravelAgenciesTable {
  id: string;
  company_id: string;
  name: string;
  email_address: string;
  app_id: string | null;
  created_at: number;
}

/** Request approval workflows, per company. */
export interface WorkflowsTable {
  id: string;
  company_id: string;
  name: string;
  approved_step_code: string | null;
  created_at: number;
  updated_at: number;
}

/** The ordered steps of a workflow. */
export interface WorkflowStepsTable {
  workflow_id: string;
  position: number;
  role_code: string;
  custom_role: string | null;
  name: string;
  approver_type: 'MANAGER' | 'USER' | 'GROUP' | 'CONNECTOR';
  approver_user_id: string | null;
  approver_group: string | null;
  connector_id: string | null;
  notify: Flag;
  step_code: string | null;
  status_key: string;
}

/** Members of named approver groups (e.g. the TMC agents). */
export interface ApproverGroupMembersTable {
  company_id: string;
  group_name: string;
  user_id: string;
}

/** Request policies, each assigned one workflow. */
export interface RequestPoliciesTable {
  id: string;
  company_id: string;
  name: string;
  workflow_id: string;
  is_default: Flag;
  created_at: number;
}

/** Concur Requests. */
export interface RequestsTable {
  id: string;
  company_id: string;
  request_key: string;
  owner_id: string;
  policy_id: string;
  travel_agency_id: string | null;
  name: string;
  business_purpose: string;
  comment: string;
  start_date: string | null;
  start_time: string | null;
  end_date: string | null;
  end_time: string | null;
  main_destination: string | null;
  custom_fields: string;
  status_code: string;
  step_position: number | null;
  approver_id: string | null;
  ever_sent_back: Flag;
  closed: Flag;
  canceled_post_approval: Flag;
  created_at: number;
  submitted_at: number | null;
  approved_at: number | null;
  updated_at: number;
  version: number;
}

/** Expected expenses of a request. */
export interface RequestExpensesTable {
  id: string;
  request_id: string;
  expense_type: string;
  transaction_date: string | null;
  amount_value: string | null;
  amount_currency: string | null;
  description: string;
  is_payment_card_related: Flag;
  created_at: number;
}

/** Comments on a request (workflow actions' comments included). */
export interface RequestCommentsTable {
  id: string;
  request_id: string;
  author_id: string | null;
  value: string;
  created_at: number;
}

/** The event outbox: every event, written in the transaction of the change that caused it. */
export interface EventsTable {
  seq: Generated<number>;
  id: string;
  company_id: string;
  topic: string;
  event_type: string;
  request_id: string;
  payload: string;
  created_at: number;
  /** The `Concur-Signature` of `payload`, computed once for all of the event's deliveries. */
  signature: ColumnType<string | null, string | null | undefined, string | null>;
  signature_kid: ColumnType<string | null, string | null | undefined, string | null>;
}

/** ESS webhook subscriptions; `id` is the subscriber's globally unique name. */
export interface SubscriptionsTable {
  id: string;
  app_id: string;
  topic: string;
  filter: string;
  endpoint: string;
  company_ids: string;
  groups: string;
  created_at: number;
  updated_at: number;
}

/** One event to deliver to one subscription. */
export interface DeliveriesTable {
  id: Generated<number>;
  event_seq: number;
  subscription_id: string;
  /** Deliveries with the same key (one request's events) reach a subscription in order. */
  ordering_key: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED' | 'EXPIRED';
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_status: number | null;
  last_error: string | null;
  published_at: number;
  expires_at: number;
  completed_at: number | null;
}

/** Every delivery attempt, kept 30 days. */
export interface DeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempted_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string;
}

/** RSA keys that sign webhook bodies (`Concur-Signature`). */
export interface WebhookSigningKeysTable {
  kid: string;
  private_key_encrypted: string;
  public_key_pem: string;
  created_at: number;
  retired_at: number | null;
}

/** Who may approve on whose behalf. */
export interface ApprovalDelegatesTable {
  company_id: string;
  delegator_id: string;
  delegate_id: string;
  created_at: number;
}

/** Attendee types; one bound to a Fetch Attendee connector no longer allows manually created attendees. */
export interface AttendeeTypesTable {
  company_id: string;
  /** AttendeeTypeCode, at most 8 characters. */
  code: string;
  name: string;
  allows_manual: Flag;
  connector_id: string | null;
  created_at: number;
}

/** The request form's custom header fields: plain text, a connected list, or a Launch URL button. */
export interface RequestFormFieldsTable {
  company_id: string;
  /** The Request v4 field it fills: `custom1` to `custom20`. */
  field: string;
  label: string;
  kind: 'TEXT' | 'LIST' | 'LAUNCH_URL';
  connector_id: string | null;
  /** LIST: the list's name on the connector's Fetch List service. */
  list_name: string | null;
  popup_width: number | null;
  popup_height: number | null;
  created_at: number;
  updated_at: number;
}

/** Attendees added to a request, from a Fetch Attendee search or entered by hand. */
export interface RequestAttendeesTable {
  id: string;
  request_id: string;
  attendee_type_code: string;
  /** The connector's ExternalID; null for a manually entered attendee. */
  external_id: string | null;
  connector_id: string | null;
  first_name: string;
  middle_initial: string;
  last_name: string;
  suffix: string;
  company: string;
  title: string;
  /** JSON array of Custom1..Custom25. */
  custom_fields: string;
  created_at: number;
}

/** The Event Notification queue: posted first come, first served per company; 200 removes a row. */
export interface NotificationsTable {
  /** FIFO order. */
  seq: Generated<number>;
  /** The id in the notification's NotificationURI. */
  id: string;
  company_id: string;
  connector_id: string;
  service: string;
  request_id: string;
  event_type: string;
  object_type: string;
  object_uri: string;
  context: string | null;
  status: 'PENDING' | 'FAILED';
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  failed_at: number | null;
}

/** Every call to a connector, with excerpts of what went and came back (credentials never). */
export interface CalloutLogTable {
  id: Generated<number>;
  company_id: string;
  connector_id: string | null;
  service: string;
  method: string;
  url: string;
  started_at: number;
  duration_ms: number;
  /** `ok`, or why the call failed (`timeout`, `http_error`, `invalid_response`...). */
  outcome: string;
  http_status: number | null;
  message: string;
  request_excerpt: string;
  response_excerpt: string;
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
  applications: ApplicationsTable;
  signing_keys: SigningKeysTable;
  company_connections: CompanyConnectionsTable;
  request_tokens: RequestTokensTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  travel_agencies: TravelAgenciesTable;
  workflows: WorkflowsTable;
  workflow_steps: WorkflowStepsTable;
  approver_group_members: ApproverGroupMembersTable;
  request_policies: RequestPoliciesTable;
  requests: RequestsTable;
  request_expenses: RequestExpensesTable;
  request_comments: RequestCommentsTable;
  events: EventsTable;
  subscriptions: SubscriptionsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  webhook_signing_keys: WebhookSigningKeysTable;
  approval_delegates: ApprovalDelegatesTable;
  attendee_types: AttendeeTypesTable;
  request_form_fields: RequestFormFieldsTable;
  request_attendees: RequestAttendeesTable;
  notifications: NotificationsTable;
  callout_log: CalloutLogTable;
}

/** Rows as read back, per table. */
export type CompanyRow = Selectable<CompaniesTable>;
export type UserRow = Selectable<UsersTable>;
export type ConnectorRow = Selectable<ConnectorsTable>;
export type ConnectorServiceRow = Selectable<ConnectorServicesTable>;
export type ApplicationRow = Selectable<ApplicationsTable>;
export type WorkflowStepRow = Selectable<WorkflowStepsTable>;
export type RequestRow = Selectable<RequestsTable>;
export type RequestUpdate = Updateable<RequestsTable>;
export type NewRequest = Insertable<RequestsTable>;
export type SubscriptionRow = Selectable<SubscriptionsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;

/** Column changes, per table. */
export type CompanyUpdate = Updateable<CompaniesTable>;
export type ConnectorUpdate = Updateable<ConnectorsTable>;
