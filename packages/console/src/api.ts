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
  const message =
    str(error?.message) ?? `The server answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(
    response.status,
    str(error?.code) ?? 'http_error',
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
}

/** The console's single API client. */
export const api = new ApiClient();

/** The user-facing message of any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'Something went wrong. Try again.';
}
