// Typed client for patchbay's admin API (`/api/...`, same origin, cookie session).

/** Editions a company can have; they decide who may manage application connectors. */
export const EDITIONS = ['STANDARD', 'PROFESSIONAL', 'DEVELOPER_SANDBOX'] as const;
/** A company edition. */
export type Edition = (typeof EDITIONS)[number];

/** Human labels for the editions. */
export const EDITION_LABELS: Record<Edition, string> = {
  STANDARD: 'Standard',
  PROFESSIONAL: 'Professional',
  DEVELOPER_SANDBOX: 'Developer Sandbox',
};

/** Roles a company user can be given. */
export const ROLES = [
  'CAN_ADMINISTER',
  'WEB_SERVICES_ADMINISTRATOR',
  'COMPANY_ADMIN',
  'EXPENSE_ADMIN',
  'REQUEST_ADMIN',
  'TRAVEL_ADMIN',
  'INVOICE_ADMIN',
  'EMPLOYEE',
] as const;
/** A company user role. */
export type Role = (typeof ROLES)[number];

/** Human labels for the roles, as Concur's permission screens name them. */
export const ROLE_LABELS: Record<Role, string> = {
  CAN_ADMINISTER: 'Can Administer',
  WEB_SERVICES_ADMINISTRATOR: 'Web Services Administrator',
  COMPANY_ADMIN: 'Company Admin',
  EXPENSE_ADMIN: 'Expense Admin',
  REQUEST_ADMIN: 'Request Admin',
  TRAVEL_ADMIN: 'Travel Admin',
  INVOICE_ADMIN: 'Invoice Admin',
  EMPLOYEE: 'Employee',
};

/** A company (a Concur entity). */
export interface Company {
  id: string;
  name: string;
  edition: Edition;
  developmentPartner: boolean;
  entityId: string;
  createdAt: string;
}

/** A user, either a company user or a patchbay operator. */
export interface User {
  id: string;
  loginId: string;
  name: string;
  roles: string[];
  companyId: string | null;
  isOperator: boolean;
}

/** The signed-in session. */
export interface Session {
  user: User;
  company: Company | null;
  /** Sent as X-CSRF-Token on every non-GET request (null only for token-authenticated callers). */
  csrfToken: string | null;
  permissions: { manageConnectors: boolean };
}

/** A host on a company's safe list (hosts its connectors may use). */
export interface SafeHost {
  host: string;
  createdAt: string;
}

/** The five services (callouts and outbound messages) a connector can serve, in display order. */
export const SERVICE_KEYS = [
  'fetch-attendee',
  'fetch-list',
  'send-notification',
  'external-report-validation',
  'launch-external-url',
] as const;
/** A service key. */
export type ServiceKey = (typeof SERVICE_KEYS)[number];

/** Labels of the services, in case the server sends an unknown one without a label. */
export const SERVICE_LABELS: Record<ServiceKey, string> = {
  'fetch-attendee': 'Fetch Attendee',
  'fetch-list': 'Fetch List',
  'send-notification': 'Send Notification',
  'external-report-validation': 'External Report Validation',
  'launch-external-url': 'Launch External URL',
};

/** Workflow steps that can notify the connector. */
export const WORKFLOW_STEPS = ['SUBMIT', 'PRE_EXTRACT'] as const;
/** A workflow step. */
export type WorkflowStep = (typeof WORKFLOW_STEPS)[number];

/** Labels for the workflow steps, as Concur's Configure Service window shows them. */
export const WORKFLOW_STEP_LABELS: Record<WorkflowStep, string> = {
  SUBMIT: 'External Validation - Submit',
  PRE_EXTRACT: 'External Validation - Pre-Extract',
};

/** One list served by the Fetch List service. */
export interface ListSetting {
  name: string;
  category: string;
  languageCode: string;
  connectedListLevel: number | null;
}

/** One workflow whose steps notify the connector. */
export interface WorkflowSetting {
  workflowId: string;
  steps: WorkflowStep[];
}

/** Settings of Launch External URL. */
export interface LaunchExternalUrlSettings {
  version: 'V1' | 'V4';
  clientId: string;
  redirectUrl: string;
}

/** Per-service settings; the shape depends on the service (see `ServiceSettingsByKey`). */
export interface ServiceSettingsByKey {
  'fetch-attendee': { attendeeTypes: string[] };
  'fetch-list': { lists: ListSetting[] };
  'send-notification': { workflows: WorkflowSetting[] };
  'external-report-validation': { workflows: WorkflowSetting[] };
  'launch-external-url': Partial<LaunchExternalUrlSettings>;
}

/** One service of a connector. All five are always listed; `endpoint: null` means not configured. */
export interface Service {
  service: ServiceKey;
  label: string;
  endpoint: string | null;
  active: boolean;
  usable: boolean;
  settings: Record<string, unknown>;
}

/** The result of the last Test Connection. */
export interface LastTest {
  at: string;
  outcome: string;
  message: string;
  httpStatus: number | null;
}

/** An application connector registration. The password is never returned. */
export interface Connector {
  id: string;
  companyId: string;
  name: string;
  description: string;
  hostName: string;
  userName: string;
  verified: boolean;
  verifiedAt: string | null;
  lastTest: LastTest | null;
  status: 'ACTIVE' | 'INACTIVE';
  services: Service[];
  createdAt: string;
  updatedAt: string;
}

/** The System fields of a connector as sent to the API. */
export interface ConnectorFields {
  name: string;
  description: string;
  hostName: string;
  userName: string;
  password: string;
}

/** The result of one Test Connection. A failed test is still a 200 answer with `ok: false`. */
export interface TestConnectionResult {
  ok: boolean;
  outcome: string;
  message: string;
  httpStatus: number | null;
  durationMs: number;
  testedAt: string;
}

/** One audit-trail entry of a connector. */
export interface AuditEntry {
  id: string | number;
  at: string;
  actor: { id: string | null; label: string };
  action: string;
  details: Record<string, unknown>;
}

/** The grants `/oauth2/v0/token` knows, in display order. */
export const GRANTS = ['client_credentials', 'password', 'authorization_code', 'refresh_token'] as const;
/** An OAuth2 grant type. */
export type Grant = (typeof GRANTS)[number];

/** What each grant is for, shown next to its check box. */
export const GRANT_HINTS: Record<Grant, string> = {
  client_credentials: 'App-only tokens, not tied to a company or user.',
  password: 'A user’s login ID and password, or a Company Request Token (credtype=authtoken).',
  authorization_code: 'One-time codes, such as the client_auth_code of Launch External URL.',
  refresh_token: 'New access tokens from a refresh token.',
};

/** What a scope name looks like (the server checks the same rule). */
export const SCOPE_PATTERN = /^[a-zA-Z][a-zA-Z0-9._:-]{0,99}$/;

/** An OAuth2 client application. `id` is its client ID; the client secret is never returned after it is issued. */
export interface Application {
  id: string;
  name: string;
  grants: Grant[];
  scopes: string[];
  redirectUris: string[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The editable fields of an application. */
export interface ApplicationFields {
  name: string;
  grants: Grant[];
  scopes: string[];
  redirectUris: string[];
}

/** A Company Request Token: single use, valid 24 hours, connects the company to one application. */
export interface RequestToken {
  requestToken: string;
  appId: string;
  companyId: string;
  expiresAt: string;
}

/** An application a company is connected to. */
export interface Connection {
  appId: string;
  appName: string;
  connectedAt: string;
  connectedBy: string;
}

// Concur Request

/** A Request v4 location (the console sets city and country code). */
export interface RequestLocation {
  city?: string;
  countryCode?: string;
  name?: string;
  iataCode?: string;
}

/** A person as Request v4 shows them (owner, approver). */
export interface RequestPerson {
  id: string;
  firstName: string;
  lastName: string;
}

/** The workflow actions of Request v4. */
export const REQUEST_ACTIONS = ['submit', 'approve', 'recall', 'sendback', 'cancel', 'close', 'reopen'] as const;
/** One workflow action. */
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

/** A request as Request v4 represents it; `operations` are the actions the signed-in user may take now. */
export interface TravelRequest {
  id: string;
  requestId: string;
  name: string;
  businessPurpose?: string;
  comment?: string;
  approvalStatus: { code: 'NOT_SUBMITTED' | 'SUBMITTED' | 'APPROVED' | 'CANCELED' | 'SENTBACK'; name: string };
  closed: boolean;
  everSentBack: boolean;
  owner?: RequestPerson;
  approver?: RequestPerson;
  startDate?: string;
  endDate?: string;
  mainDestination?: RequestLocation;
  creationDate?: string;
  submitDate?: string;
  authorizedDate?: string;
  lastModified?: string;
  policy?: { id: string };
  operations: Array<{ rel: RequestAction; href: string }>;
}

/** The fields of the New Request form. */
export interface NewRequestFields {
  name: string;
  businessPurpose?: string;
  comment?: string;
  startDate?: string;
  endDate?: string;
  mainDestination?: { city: string; countryCode: string };
  /** The Request policy (its workflow); the company's default policy when left out. */
  policyId?: string;
}

/** The changes of the Edit Request form: only the fields given change, null clears one. */
export interface RequestChanges {
  name?: string;
  businessPurpose?: string | null;
  comment?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  startTime?: string | null;
  endTime?: string | null;
  mainDestination?: { city: string; countryCode: string } | null;
  /** Custom fields (custom1..custom20) as Request v4 has them, `{code?, value?}`; null clears one. */
  [custom: `custom${number}`]: CustomFieldValue | null | undefined;
}

/** A comment on a request (workflow actions' comments included). */
export interface RequestComment {
  authorId: string | null;
  authorName: string;
  createdAt: string;
  value: string;
}

/** A workflow step's role codes (the seed's, plus CUSTOM for an admin-named role). */
export const ROLE_CODES = [
  'REQ_MANAGER',
  'REQ_PROCESSOR1',
  'REQ_PROCESSOR_2',
  'REQ_PROCESSOR3',
  'CO_APPROVE',
  'AUTH_APPROVE',
  'BDGT_APPROVE',
  'RISK_PROCESSOR',
  'EXTERNAL_VALIDATION',
  'CUSTOM',
] as const;
/** One role code. */
export type RoleCode = (typeof ROLE_CODES)[number];

/** What each role is, as Concur's workflow screens name it; the events' `role` follows in brackets. */
export const ROLE_CODE_LABELS: Record<RoleCode, string> = {
  REQ_MANAGER: 'Request Manager',
  REQ_PROCESSOR1: 'Travel Agency (TMC)',
  REQ_PROCESSOR_2: 'Request Administrator',
  REQ_PROCESSOR3: 'Request Auditor',
  CO_APPROVE: 'Cost Object Approver',
  AUTH_APPROVE: 'Authorized Approver',
  BDGT_APPROVE: 'Budget Manager',
  RISK_PROCESSOR: 'Risk Manager',
  EXTERNAL_VALIDATION: 'External Validation (legacy)',
  CUSTOM: 'Custom role',
};

/** The events' `role` of each role code (custom roles use their own name). */
export const EVENT_ROLES: Record<Exclude<RoleCode, 'CUSTOM'>, string> = {
  REQ_MANAGER: 'RequestManager',
  REQ_PROCESSOR1: 'TMC',
  REQ_PROCESSOR_2: 'RequestAdministrator',
  REQ_PROCESSOR3: 'RequestAuditor',
  CO_APPROVE: 'CostObjectApprover',
  AUTH_APPROVE: 'AuthorizedApprover',
  BDGT_APPROVE: 'BudgetManager',
  RISK_PROCESSOR: 'RiskManager',
  EXTERNAL_VALIDATION: 'ExternalValidation',
};

/** Roles whose `currentApprovalStatus` is a numeric status key the admin sets per step. */
export const NUMERIC_STATUS_ROLES: readonly RoleCode[] = ['REQ_PROCESSOR1', 'CUSTOM'];

/** Who approves a step. */
export const APPROVER_TYPES = ['MANAGER', 'USER', 'GROUP', 'CONNECTOR'] as const;
/** One approver type. */
export type ApproverType = (typeof APPROVER_TYPES)[number];

/** One step as the admin edits it. */
export interface WorkflowStepInput {
  roleCode: RoleCode;
  customRole?: string | null;
  name?: string | null;
  approverType: ApproverType;
  approverUserId?: string | null;
  approverGroup?: string | null;
  connectorId?: string | null;
  notify: boolean;
  stepCode?: string | null;
  statusKey?: string | null;
}

/** A saved step of a Request workflow. */
export interface RequestWorkflowStep {
  position: number;
  roleCode: RoleCode;
  customRole: string | null;
  name: string;
  approverType: ApproverType;
  approverUserId: string | null;
  approverGroup: string | null;
  connectorId: string | null;
  notify: boolean;
  stepCode: string | null;
  statusKey: string;
}

/** An approval workflow. */
export interface Workflow {
  id: string;
  name: string;
  approvedStepCode: string | null;
  steps: RequestWorkflowStep[];
  createdAt: string;
  updatedAt: string;
}

/** What a workflow save sends. */
export interface WorkflowInput {
  name: string;
  approvedStepCode: string | null;
  steps: WorkflowStepInput[];
}

/** A Request policy: which workflow its requests follow. */
export interface RequestPolicy {
  id: string;
  name: string;
  workflowId: string;
  isDefault: boolean;
}

/** A travel agency office. */
export interface TravelAgency {
  id: string;
  name: string;
  emailAddress: string;
  appId: string | null;
}

/** An approver group. */
export interface ApproverGroup {
  name: string;
  userIds: string[];
}

/** A user with their Request workflow fields. */
export interface WorkflowUser {
  id: string;
  loginId: string;
  name: string;
  managerId: string | null;
  employeeId: string | null;
  isTest: boolean;
}

/** A stored statusChange event, exactly as the outbox holds it. */
export interface StoredEvent {
  id: string;
  eventType: string;
  timeStamp: string;
  facts: Record<string, string | null>;
  [key: string]: unknown;
}

/** One page of the event log, newest first. */
export interface EventPage {
  items: Array<{ seq: number; event: StoredEvent }>;
  nextBefore: number | null;
}

/** Filters of the event log. */
export interface EventFilter {
  requestId?: string;
  eventType?: string;
  from?: string;
  to?: string;
  before?: number;
  limit?: number;
}

// Event Subscription Service

/** What became of a delivery of one event to one subscription. */
export const DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED', 'EXPIRED'] as const;
/** One delivery status. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Labels of the delivery statuses. */
export const DELIVERY_STATUS_LABELS: Record<DeliveryStatus, string> = {
  PENDING: 'Pending',
  DELIVERED: 'Delivered',
  FAILED: 'Failed',
  EXPIRED: 'Expired',
};

/** A subscription's deliveries by status. */
export type DeliveryCounts = Record<DeliveryStatus, number>;

/** An ESS webhook subscription as the admin API shows it. */
export interface EventSubscription {
  id: string;
  applicationId: string;
  applicationName: string;
  topic: string;
  filter: string;
  endpoint: string;
  /** Company admins see only their own company here (and ".*"). */
  companyIds: string[];
  companies: Array<{ id: string; name: string | null }>;
  groups: string[];
  createdAt: string;
  updatedAt: string;
  counts: DeliveryCounts;
}

/** One event's delivery to one subscription. */
export interface Delivery {
  id: number;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  /** The short Request ID (facts.requestId). */
  requestId: string | null;
  requestUuid: string;
  companyId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  publishedAt: string;
  expiresAt: string;
  completedAt: string | null;
  /** An earlier delivery of the same event to the same subscription exists. */
  replay: boolean;
}

/** One page of a subscription's deliveries, newest first. */
export interface DeliveryListPage {
  items: Delivery[];
  nextBefore: number | null;
}

/** One attempt of a delivery. */
export interface DeliveryAttempt {
  id: number;
  attemptedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string;
}

/** A delivery with its attempts and the exact event JSON. */
export interface DeliveryDetail {
  delivery: Delivery;
  subscription: { id: string; applicationId: string; topic: string; endpoint: string | null };
  attempts: DeliveryAttempt[];
  event: { id: string; seq: number; eventType: string; publishedAt: string; json: string; signature: string | null; signatureKid: string | null };
}

/** What to replay: one event, or the events published in a time range (ISO 8601). */
export type ReplaySelection = { eventId: string } | { from: string; to: string };

/** A public key that verifies Concur-Signature. */
export interface WebhookKey {
  kid: string;
  publicKeyPem: string;
  createdAt: string;
  /** The key signing new events. */
  current: boolean;
}

// Callouts: attendees, request form fields, the call log and the Event Notification queue

/** An attendee type; one bound to a connector's Fetch Attendee service (`connectorId`) allows no manual attendees. */
export interface AttendeeType {
  code: string;
  name: string;
  allowsManual: boolean;
  /** The connector its searches go to; null when attendees are entered by hand. */
  connectorId: string | null;
}

/** The kinds of request form field: plain text, a connected list (Fetch List) or a Launch URL button. */
export const FORM_FIELD_KINDS = ['TEXT', 'LIST', 'LAUNCH_URL'] as const;
/** A form field kind. */
export type FormFieldKind = (typeof FORM_FIELD_KINDS)[number];

/** Labels of the form field kinds. */
export const FORM_FIELD_KIND_LABELS: Record<FormFieldKind, string> = {
  TEXT: 'Text',
  LIST: 'List (Fetch List)',
  LAUNCH_URL: 'Launch URL button',
};

/** The Request custom fields a form field can fill: custom1 to custom20. */
export const CUSTOM_FIELDS = Array.from({ length: 20 }, (_, index) => `custom${index + 1}`);

/** A custom field of the request form. */
export interface FormField {
  /** The Request v4 field it fills: custom1 to custom20. */
  field: string;
  label: string;
  kind: FormFieldKind;
  connectorId: string | null;
  /** LIST: the list on the connector's Fetch List service; `configured` false once it is gone from there. */
  list: { name: string; levels: number; category: string | null; languageCode: string | null; externalThreshold: number; configured: boolean } | null;
  /** LAUNCH_URL: the pop-up window's size in pixels. */
  popup: { width: number; height: number } | null;
}

/** What saving a form field sends. */
export interface FormFieldInput {
  label: string;
  kind: FormFieldKind;
  connectorId?: string | null;
  listName?: string | null;
  popupWidth?: number | null;
  popupHeight?: number | null;
}

/** The value of a Request custom field: a list item's code and text, or a text value. */
export interface CustomFieldValue {
  code?: string;
  value?: string;
}

/** The custom field `field` (custom1..custom20) of a request, if set. */
export function customFieldValue(request: TravelRequest, field: string): CustomFieldValue | undefined {
  const value: unknown = (request as unknown as Record<string, unknown>)[field];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { code, value: text } = value as { code?: unknown; value?: unknown };
  return { ...(typeof code === 'string' ? { code } : {}), ...(typeof text === 'string' ? { value: text } : {}) };
}

/** The names of an attendee's custom fields, Custom1 to Custom25 of Fetch Attendee. */
export type AttendeeCustomKey = `custom${number}`;

/** An attendee as a Fetch Attendee search returns it. */
export interface Attendee {
  externalId: string;
  firstName: string;
  middleInitial: string;
  lastName: string;
  suffix: string;
  company: string;
  attendeeTypeCode: string;
  title: string;
  [custom: AttendeeCustomKey]: string;
}

/** An attendee on a request; `externalId` is null for one entered by hand. */
export interface RequestAttendee extends Omit<Attendee, 'externalId'> {
  id: string;
  externalId: string | null;
  connectorId: string | null;
  createdAt: string;
}

/** What an attendee search sends: the type and any of the criteria. */
export interface AttendeeSearch {
  attendeeTypeCode: string;
  firstName?: string;
  lastName?: string;
  middleInitial?: string;
  suffix?: string;
  title?: string;
  company?: string;
  externalId?: string;
  maximumNumberRecords?: number;
}

/** What adding an attendee sends: a search result by its ExternalID, or a manual entry. */
export type NewAttendee =
  | { attendeeTypeCode: string; externalId: string }
  | { attendeeTypeCode: string; firstName: string; lastName: string; middleInitial?: string; suffix?: string; company?: string; title?: string };

/** One item of a list field at one level. */
export interface ListItem {
  /** The full code (the levels' short codes joined). */
  code: string;
  shortCode: string;
  text: string;
  matchValue: string;
}

/** What Launch External URL answers: the signed URL and the pop-up's size. */
export interface Launch {
  url: string;
  width: number;
  height: number;
}

/** The callouts the call log names. */
export const CALLOUT_SERVICES = ['fetch-attendee', 'fetch-list', 'notification'] as const;
/** One callout service of the call log. */
export type CalloutService = (typeof CALLOUT_SERVICES)[number];

/** Labels of the call log's services. */
export const CALLOUT_SERVICE_LABELS: Record<CalloutService, string> = {
  'fetch-attendee': 'Fetch Attendee',
  'fetch-list': 'Fetch List',
  notification: 'Event Notification',
};

/** One call to a connector, as the call log keeps it (excerpts, never credentials). */
export interface LoggedCall {
  id: number;
  service: string;
  connectorId: string | null;
  method: string;
  url: string;
  startedAt: string;
  durationMs: number;
  /** `ok`, or what went wrong (`http_500`, `timeout`, `too-many-results`, ...). */
  outcome: string;
  httpStatus: number | null;
  message: string;
  requestExcerpt: string;
  responseExcerpt: string;
}

/** One page of the call log, newest first; `nextBefore` continues it. */
export interface CallLogPage {
  items: LoggedCall[];
  nextBefore: string | null;
}

/** The statuses of a queued Event Notification (a delivered one leaves the queue). */
export const NOTIFICATION_STATUSES = ['PENDING', 'FAILED'] as const;
/** A notification status. */
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** An Event Notification waiting in the queue, or failed. */
export interface EventNotification {
  id: string;
  /** The request's id (Request v4 `id`). */
  requestId: string;
  connectorId?: string;
  service?: string;
  eventType: string;
  objectUri?: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  failedAt: string | null;
}

/** Error thrown for every failed API call; `message` is meant for the user. */
export class ApiError extends Error {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  /** Machine-readable error code from the envelope. */
  readonly code: string;
  /** The request field the error is about, when the server named one. */
  readonly field: string | undefined;
  /** The server's request id, for support. */
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, field?: string, requestId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.requestId = requestId;
  }
}

interface ErrorEnvelope {
  error?: { code?: unknown; message?: unknown; field?: unknown; requestId?: unknown };
  /** Concur's shape, answered by the Request routes' product functions. */
  errors?: Array<{ errorCode?: unknown; errorMessage?: unknown }>;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function toApiError(response: Response): Promise<ApiError> {
  let body: ErrorEnvelope | undefined;
  try {
    body = (await response.json()) as ErrorEnvelope;
  } catch {
    body = undefined;
  }
  const error = body?.error;
  const concur = Array.isArray(body?.errors) ? body.errors[0] : undefined;
  const message =
    str(error?.message) ??
    str(concur?.errorMessage) ??
    `The server answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(
    response.status,
    str(error?.code) ?? str(concur?.errorCode) ?? 'http_error',
    message,
    str(error?.field),
    str(error?.requestId),
  );
}

const enc = encodeURIComponent;

/** Client for the admin API. Non-GET requests carry the session's CSRF token. */
export class ApiClient {
  private csrfToken: string | null = null;
  private unauthenticatedListener: (() => void) | null = null;

  /** Remembers the CSRF token of the current session (null after sign-out). */
  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  /** Called when a request other than a sign-in answers 401 (the session has ended). */
  onUnauthenticated(listener: (() => void) | null): void {
    this.unauthenticatedListener = listener;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken !== null) headers['X-CSRF-Token'] = this.csrfToken;
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'Cannot reach the patchbay server. Check your connection and try again.');
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (response.status === 401 && path !== '/api/session') this.unauthenticatedListener?.();
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  // Session

  /** Signs in; the server sets the session cookie. */
  signIn(loginId: string, password: string): Promise<Session> {
    return this.request('POST', '/api/session', { loginId, password });
  }
  /** The current session; throws an ApiError with status 401 when signed out. */
  getSession(): Promise<Session> {
    return this.request('GET', '/api/session');
  }
  /** Ends the session. */
  signOut(): Promise<void> {
    return this.request('DELETE', '/api/session');
  }

  // Companies (operators)

  /** All companies (operators only). */
  async listCompanies(): Promise<Company[]> {
    return (await this.request<{ items: Company[] }>('GET', '/api/companies')).items;
  }
  /** Creates a company (operators only). */
  createCompany(input: { name: string; edition: Edition; developmentPartner: boolean; entityId?: string }): Promise<Company> {
    return this.request('POST', '/api/companies', input);
  }
  /** Changes a company (operators only). */
  updateCompany(companyId: string, input: { name?: string; edition?: Edition; developmentPartner?: boolean }): Promise<Company> {
    return this.request('PATCH', `/api/companies/${enc(companyId)}`, input);
  }
  /** The users of a company (operators only). */
  async listUsers(companyId: string): Promise<User[]> {
    return (await this.request<{ items: User[] }>('GET', `/api/companies/${enc(companyId)}/users`)).items;
  }
  /** Creates a company user (operators only). */
  createUser(companyId: string, input: { loginId: string; name: string; password: string; roles: string[] }): Promise<User> {
    return this.request('POST', `/api/companies/${enc(companyId)}/users`, input);
  }
  /** The company's safe list. */
  async listSafeHosts(companyId: string): Promise<SafeHost[]> {
    return (await this.request<{ items: SafeHost[] }>('GET', `/api/companies/${enc(companyId)}/safe-list`)).items;
  }
  /** Adds a host to the safe list (operators only). */
  addSafeHost(companyId: string, host: string): Promise<SafeHost> {
    return this.request('POST', `/api/companies/${enc(companyId)}/safe-list`, { host });
  }
  /** Removes a host from the safe list (operators only). */
  removeSafeHost(companyId: string, host: string): Promise<void> {
    return this.request('DELETE', `/api/companies/${enc(companyId)}/safe-list/${enc(host)}`);
  }

  // Connectors

  private connectorsPath(companyId: string, connectorId?: string): string {
    const base = `/api/companies/${enc(companyId)}/connectors`;
    return connectorId === undefined ? base : `${base}/${enc(connectorId)}`;
  }
  /** The company's connector registrations. */
  async listConnectors(companyId: string): Promise<Connector[]> {
    return (await this.request<{ items: Connector[] }>('GET', this.connectorsPath(companyId))).items;
  }
  /** Registers a connector. */
  createConnector(companyId: string, fields: ConnectorFields): Promise<Connector> {
    return this.request('POST', this.connectorsPath(companyId), fields);
  }
  /** One connector registration. */
  getConnector(companyId: string, connectorId: string): Promise<Connector> {
    return this.request('GET', this.connectorsPath(companyId, connectorId));
  }
  /** Changes System fields; omit `password` to keep it. */
  updateConnector(companyId: string, connectorId: string, fields: Partial<ConnectorFields>): Promise<Connector> {
    return this.request('PATCH', this.connectorsPath(companyId, connectorId), fields);
  }
  /** Calls the connector's test-connection endpoint with its credentials. */
  testConnection(companyId: string, connectorId: string): Promise<{ result: TestConnectionResult; connector: Connector }> {
    return this.request('POST', `${this.connectorsPath(companyId, connectorId)}/test-connection`);
  }
  /** Configures one service (Configure Service window). */
  configureService(
    companyId: string,
    connectorId: string,
    service: ServiceKey,
    input: { endpoint: string; active: boolean; settings: Record<string, unknown> },
  ): Promise<Connector> {
    return this.request('PUT', `${this.connectorsPath(companyId, connectorId)}/services/${enc(service)}`, input);
  }
  /** Sets every service of the connector inactive (registrations cannot be deleted). */
  deactivateConnector(companyId: string, connectorId: string): Promise<Connector> {
    return this.request('POST', `${this.connectorsPath(companyId, connectorId)}/deactivate`);
  }
  /** The connector's audit trail, newest first. */
  async listAudit(companyId: string, connectorId: string): Promise<AuditEntry[]> {
    return (await this.request<{ items: AuditEntry[] }>('GET', `${this.connectorsPath(companyId, connectorId)}/audit`)).items;
  }

  // Applications and signing keys (operators)

  /** Every OAuth2 application, by name. */
  async listApplications(): Promise<Application[]> {
    return (await this.request<{ items: Application[] }>('GET', '/api/applications')).items;
  }
  /** Registers an application; the client secret is in this answer only. */
  createApplication(fields: ApplicationFields): Promise<{ application: Application; clientSecret: string }> {
    return this.request('POST', '/api/applications', fields);
  }
  /** One application. */
  getApplication(appId: string): Promise<Application> {
    return this.request('GET', `/api/applications/${enc(appId)}`);
  }
  /** Changes an application's fields or its Active flag. */
  updateApplication(appId: string, changes: Partial<ApplicationFields> & { active?: boolean }): Promise<Application> {
    return this.request('PATCH', `/api/applications/${enc(appId)}`, changes);
  }
  /** Replaces the client secret (the old one stops working at once); the new one is in this answer only. */
  async rotateClientSecret(appId: string): Promise<string> {
    return (await this.request<{ clientSecret: string }>('POST', `/api/applications/${enc(appId)}/secret`)).clientSecret;
  }
  /** Starts signing JWTs with a new key; returns its key id. */
  async rotateSigningKey(): Promise<string> {
    return (await this.request<{ kid: string }>('POST', '/api/signing-keys/rotate')).kid;
  }

  // Company Request Tokens and app connections

  /** Company Request Token: a single-use token, valid 24 hours, for one application. */
  createRequestToken(companyId: string, appId: string): Promise<RequestToken> {
    return this.request('POST', `/api/companies/${enc(companyId)}/request-tokens`, { appId });
  }
  /** The applications the company is connected to. */
  async listConnections(companyId: string): Promise<Connection[]> {
    return (await this.request<{ items: Connection[] }>('GET', `/api/companies/${enc(companyId)}/connections`)).items;
  }
  /** Disconnects the company from an application; the app's company tokens stop working. */
  disconnectApplication(companyId: string, appId: string): Promise<void> {
    return this.request('DELETE', `/api/companies/${enc(companyId)}/connections/${enc(appId)}`);
  }

  // Requests (the signed-in user's own, and those waiting for their approval)

  private requestsPath(companyId: string, requestId?: string): string {
    const base = `/api/companies/${enc(companyId)}/requests`;
    return requestId === undefined ? base : `${base}/${enc(requestId)}`;
  }
  /** The signed-in user's requests, newest first. */
  async listMyRequests(companyId: string): Promise<TravelRequest[]> {
    return (await this.request<{ items: TravelRequest[] }>('GET', `${this.requestsPath(companyId)}?mine=1`)).items;
  }
  /** The requests waiting for the signed-in user's approval. */
  async listRequestsToApprove(companyId: string): Promise<TravelRequest[]> {
    return (await this.request<{ items: TravelRequest[] }>('GET', `${this.requestsPath(companyId)}?toApprove=1`)).items;
  }
  /** Creates a request of the signed-in user (Not Submitted). */
  createRequest(companyId: string, fields: NewRequestFields): Promise<TravelRequest> {
    return this.request('POST', this.requestsPath(companyId), fields);
  }
  /** Edits a request (its owner before submitting or after a send back): only the fields given change. */
  updateRequest(companyId: string, requestId: string, changes: RequestChanges): Promise<TravelRequest> {
    return this.request('PUT', this.requestsPath(companyId, requestId), changes);
  }
  /** One request, with the operations the signed-in user may take. */
  getRequest(companyId: string, requestId: string): Promise<TravelRequest> {
    return this.request('GET', this.requestsPath(companyId, requestId));
  }
  /** The request's comments, oldest first. */
  async listRequestComments(companyId: string, requestId: string): Promise<RequestComment[]> {
    return (await this.request<{ items: RequestComment[] }>('GET', `${this.requestsPath(companyId, requestId)}/comments`)).items;
  }
  /** Takes a workflow action; send back needs a comment. */
  requestAction(companyId: string, requestId: string, action: RequestAction, comment?: string): Promise<TravelRequest> {
    return this.request('POST', `${this.requestsPath(companyId, requestId)}/${enc(action)}`, comment ? { comment } : {});
  }

  // Request administration

  private adminPath(companyId: string, rest: string): string {
    return `/api/companies/${enc(companyId)}/${rest}`;
  }
  /** The company's approval workflows. */
  async listWorkflows(companyId: string): Promise<Workflow[]> {
    return (await this.request<{ items: Workflow[] }>('GET', this.adminPath(companyId, 'workflows'))).items;
  }
  /** One workflow. */
  getWorkflow(companyId: string, workflowId: string): Promise<Workflow> {
    return this.request('GET', this.adminPath(companyId, `workflows/${enc(workflowId)}`));
  }
  /** Creates a workflow, or replaces one when `workflowId` is given. */
  saveWorkflow(companyId: string, input: WorkflowInput, workflowId?: string): Promise<Workflow> {
    return workflowId === undefined
      ? this.request('POST', this.adminPath(companyId, 'workflows'), input)
      : this.request('PUT', this.adminPath(companyId, `workflows/${enc(workflowId)}`), input);
  }
  /** The company's Request policies (any user of the company may list them: New Request offers a choice). */
  async listPolicies(companyId: string): Promise<RequestPolicy[]> {
    return (await this.request<{ items: RequestPolicy[] }>('GET', this.adminPath(companyId, 'request-policies'))).items;
  }
  /** Creates a policy, or changes one when `policyId` is given. */
  savePolicy(companyId: string, input: { name: string; workflowId: string; isDefault: boolean }, policyId?: string): Promise<RequestPolicy> {
    return policyId === undefined
      ? this.request('POST', this.adminPath(companyId, 'request-policies'), input)
      : this.request('PUT', this.adminPath(companyId, `request-policies/${enc(policyId)}`), input);
  }
  /** The company's travel agency offices. */
  async listTravelAgencies(companyId: string): Promise<TravelAgency[]> {
    return (await this.request<{ items: TravelAgency[] }>('GET', this.adminPath(companyId, 'travel-agencies'))).items;
  }
  /** Adds a travel agency office. */
  createTravelAgency(companyId: string, input: { name: string; emailAddress: string; appId?: string }): Promise<TravelAgency> {
    return this.request('POST', this.adminPath(companyId, 'travel-agencies'), input);
  }
  /** The company's approver groups. */
  async listApproverGroups(companyId: string): Promise<ApproverGroup[]> {
    return (await this.request<{ items: ApproverGroup[] }>('GET', this.adminPath(companyId, 'approver-groups'))).items;
  }
  /** Replaces a group's members (no members removes the group). */
  setApproverGroup(companyId: string, name: string, userIds: string[]): Promise<ApproverGroup> {
    return this.request('PUT', this.adminPath(companyId, `approver-groups/${enc(name)}`), { userIds });
  }
  /** The company's users with their managers. */
  async listWorkflowUsers(companyId: string): Promise<WorkflowUser[]> {
    return (await this.request<{ items: WorkflowUser[] }>('GET', this.adminPath(companyId, 'workflow-users'))).items;
  }
  /** Sets a user's manager, employee ID or test-user flag. */
  updateWorkflowUser(companyId: string, userId: string, changes: { managerId?: string | null; employeeId?: string | null; isTest?: boolean }): Promise<WorkflowUser> {
    return this.request('PATCH', this.adminPath(companyId, `users/${enc(userId)}/workflow`), changes);
  }
  /** The connectors an External Validation step can use. */
  async listWorkflowConnectors(companyId: string): Promise<Array<{ id: string; name: string }>> {
    return (await this.request<{ items: Array<{ id: string; name: string }> }>('GET', this.adminPath(companyId, 'workflow-connectors'))).items;
  }
  /** One page of the company's events, newest first. */
  listEvents(companyId: string, filter: EventFilter): Promise<EventPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined && value !== '') query.set(key, String(value));
    }
    const text = query.toString();
    return this.request('GET', this.adminPath(companyId, `events${text === '' ? '' : `?${text}`}`));
  }

  // Callouts

  /** The company's attendee types, by code. */
  async listAttendeeTypes(companyId: string): Promise<AttendeeType[]> {
    return (await this.request<{ items: AttendeeType[] }>('GET', this.adminPath(companyId, 'attendee-types'))).items;
  }
  /** Creates or changes an attendee type. */
  saveAttendeeType(companyId: string, code: string, input: { name: string; allowsManual: boolean }): Promise<AttendeeType> {
    return this.request('PUT', this.adminPath(companyId, `attendee-types/${enc(code)}`), input);
  }
  /** The request form's custom fields, in field order. */
  async listFormFields(companyId: string): Promise<FormField[]> {
    return (await this.request<{ items: FormField[] }>('GET', this.adminPath(companyId, 'form-fields'))).items;
  }
  /** Creates or replaces the form field on a custom field. */
  saveFormField(companyId: string, field: string, input: FormFieldInput): Promise<FormField> {
    return this.request('PUT', this.adminPath(companyId, `form-fields/${enc(field)}`), input);
  }
  /** Removes a form field (requests keep their values). */
  removeFormField(companyId: string, field: string): Promise<void> {
    return this.request('DELETE', this.adminPath(companyId, `form-fields/${enc(field)}`));
  }
  /** Fetch Attendee: searches the connector of the attendee type for the request's owner. */
  async searchAttendees(companyId: string, requestId: string, search: AttendeeSearch): Promise<Attendee[]> {
    return (await this.request<{ items: Attendee[] }>('POST', `${this.requestsPath(companyId, requestId)}/attendee-search`, search)).items;
  }
  /** The request's attendees, in the order they were added. */
  async listRequestAttendees(companyId: string, requestId: string): Promise<RequestAttendee[]> {
    return (await this.request<{ items: RequestAttendee[] }>('GET', `${this.requestsPath(companyId, requestId)}/attendees`)).items;
  }
  /** Adds an attendee: a search result by its ExternalID, or one entered by hand. */
  addRequestAttendee(companyId: string, requestId: string, attendee: NewAttendee): Promise<RequestAttendee> {
    return this.request('POST', `${this.requestsPath(companyId, requestId)}/attendees`, attendee);
  }
  /** Removes an attendee from the request. */
  removeRequestAttendee(companyId: string, requestId: string, attendeeId: string): Promise<void> {
    return this.request('DELETE', `${this.requestsPath(companyId, requestId)}/attendees/${enc(attendeeId)}`);
  }
  /** Fetch List: the items of a list field's next level matching `query`, under the parents chosen so far. */
  async searchListItems(companyId: string, requestId: string, field: string, input: { query: string; parentCodes: string[]; limit?: number }): Promise<ListItem[]> {
    return (await this.request<{ items: ListItem[] }>('POST', `${this.requestsPath(companyId, requestId)}/fields/${enc(field)}/search`, input)).items;
  }
  /** Fetch List: stores the item chosen (every level's short code) in the request's custom field. */
  chooseListItem(companyId: string, requestId: string, field: string, codeByLevel: string[]): Promise<{ field: string; code: string; value: string }> {
    return this.request('PUT', `${this.requestsPath(companyId, requestId)}/fields/${enc(field)}/choice`, { codeByLevel });
  }
  /** Launch External URL: the signed URL of the connector's page for a Launch URL field. */
  launchExternalUrl(companyId: string, requestId: string, field: string): Promise<Launch> {
    return this.request('POST', `${this.requestsPath(companyId, requestId)}/fields/${enc(field)}/launch`);
  }
  /** One page of the company's call log, newest first. */
  listCallouts(companyId: string, filter: { service?: CalloutService | undefined; connectorId?: string | undefined; before?: string | undefined; limit?: number }): Promise<CallLogPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined && value !== '') query.set(key, String(value));
    }
    const text = query.toString();
    return this.request('GET', this.adminPath(companyId, `callouts${text === '' ? '' : `?${text}`}`));
  }
  /** The company's Event Notification queue, in order, optionally of one status. */
  async listNotifications(companyId: string, status?: NotificationStatus): Promise<EventNotification[]> {
    const query = status === undefined ? '' : `?status=${enc(status)}`;
    return (await this.request<{ items: EventNotification[] }>('GET', this.adminPath(companyId, `notifications${query}`))).items;
  }
  /** Puts a FAILED notification back in the queue. */
  retryNotification(companyId: string, notificationId: string): Promise<EventNotification> {
    return this.request('POST', this.adminPath(companyId, `notifications/${enc(notificationId)}/retry`));
  }

  // Event Subscription Service

  /** Webhook subscriptions: every one (operators, optionally of one application) or those receiving the company's events. */
  async listEventSubscriptions(appId?: string): Promise<EventSubscription[]> {
    const query = appId === undefined ? '' : `?appId=${enc(appId)}`;
    return (await this.request<{ items: EventSubscription[] }>('GET', `/api/ess/subscriptions${query}`)).items;
  }
  /** One subscription with its delivery counts. */
  getEventSubscription(subscriptionId: string): Promise<EventSubscription> {
    return this.request('GET', `/api/ess/subscriptions/${enc(subscriptionId)}`);
  }
  /** One page of a subscription's deliveries, newest first. */
  listDeliveries(subscriptionId: string, filter: { status?: DeliveryStatus | undefined; limit?: number; before?: number }): Promise<DeliveryListPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined) query.set(key, String(value));
    }
    const text = query.toString();
    return this.request('GET', `/api/ess/subscriptions/${enc(subscriptionId)}/deliveries${text === '' ? '' : `?${text}`}`);
  }
  /** One delivery with its attempts and the exact event JSON. */
  getDelivery(deliveryId: string): Promise<DeliveryDetail> {
    return this.request('GET', `/api/ess/deliveries/${enc(deliveryId)}`);
  }
  /** Replays an event or a time range to the subscription (operators); returns how many events were queued. */
  async replayEvents(subscriptionId: string, selection: ReplaySelection): Promise<number> {
    return (await this.request<{ replayed: number }>('POST', `/api/ess/subscriptions/${enc(subscriptionId)}/replay`, selection)).replayed;
  }
  /** The public keys that verify Concur-Signature, newest (current) first. */
  async listWebhookKeys(): Promise<WebhookKey[]> {
    return (await this.request<{ keys: WebhookKey[] }>('GET', '/api/ess/signing-keys')).keys;
  }
  /** Starts signing webhooks with a new key (operators); returns its key id. */
  async rotateWebhookKey(): Promise<string> {
    return (await this.request<{ kid: string }>('POST', '/api/ess/signing-keys/rotate')).kid;
  }
}

/** The console's single API client. */
export const api = new ApiClient();

/** The user-facing message of any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'Something went wrong. Try again.';
}
