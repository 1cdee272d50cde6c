/**
 * Every route of the app, read from Fastify's router (`printRoutes`), and the security suites' table
 * of them: who may call each one (public, the caller's own session, operators, a company's session, a
 * company or user token, an app token), the values of its path parameters taken from a tenant, and a
 * valid body. A route missing from the table fails the suites that enumerate routes, so a new route
 * cannot ship without saying who may call it.
 */
import type { FastifyInstance } from 'fastify';
import { WORKFLOW_ACTIONS } from '../../src/requests/workflow-engine.ts';
import type { Tenant } from './world.ts';

/** One route: an HTTP method and Fastify's path pattern. */
export interface RouteKey {
  method: string;
  path: string;
}

/** `METHOD /path`, the table's key. */
export const routeName = (route: RouteKey): string => `${route.method} ${route.path}`;

/**
 * The routes of `app`, from `printRoutes({ commonPrefix: false })`: a tree whose lines are
 * `<indent>├── <segment> (<METHODS>)`, each segment appended to its parent's path. HEAD routes that
 * Fastify adds beside GET routes run the GET handler and are left out.
 */
export function listRoutes(app: FastifyInstance): RouteKey[] {
  const stack: string[] = [];
  const routes: RouteKey[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = [...match[1]!].length / 4;
    stack.length = depth;
    const path = `${stack.join('')}${match[2]}`;
    stack.push(match[2]!);
    const methods = (match[3] ?? '').split(',').map((method) => method.trim()).filter(Boolean);
    for (const method of methods) {
      if (method === 'HEAD' && methods.includes('GET')) continue;
      routes.push({ method, path });
    }
  }
  return routes.sort((a, b) => routeName(a).localeCompare(routeName(b)));
}

/** Who may call a route. */
export type Access =
  /** Anyone: it shows nothing of any tenant (`reason` says why). */
  | 'public'
  /** Acts on the caller's own session or grants only. */
  | 'self'
  /** Platform operators only; it is global (no company in the path). */
  | 'operator'
  /** A signed-in user (or operator API token), on the company in the path or the resource named. */
  | 'session'
  /** A company or user access token (Concur-compatible). */
  | 'token'
  /** An app access token (ESS). */
  | 'app-token';

/** One route's entry. */
export interface RouteSpec {
  access: Access;
  /** Why a public or self route needs no tenant check. */
  reason?: string;
  /** A valid body, referring to `t`'s resources. */
  body?: (t: Tenant) => unknown;
  /** Query parameters. */
  query?: (t: Tenant) => Record<string, string>;
  /** Path parameter values other than the defaults of `paramValues`. */
  params?: (t: Tenant) => Record<string, string[]>;
  /** A list of the caller's own things: answered 200 with the caller's data, never another tenant's. */
  list?: true;
  /** A status that also means "refused" here, and why. */
  refusedAlsoWith?: { status: number; reason: string };
}

/** The default values of path parameters: `t`'s resources. */
export function paramValues(t: Tenant): Record<string, string[]> {
  return {
    companyId: [t.companyId],
    connectorId: [t.connector.id],
    userId: [t.traveler.id],
    host: [t.safeHost],
    appId: [t.app.id],
    requestId: [t.draft.id, t.submitted.id],
    requestUuid: [t.draft.id, t.submitted.id],
    attendeeId: [t.attendee.id],
    field: ['custom2'],
    action: [...WORKFLOW_ACTIONS],
    policyId: [t.policy.id],
    workflowId: [t.workflow.id],
    groupName: [t.groupName],
    code: [t.attendeeType.code],
    notificationId: [t.notificationId],
    id: [t.subscription.id],
    deliveryId: [String(t.deliveryId)],
    expenseUuid: [t.expenseId],
    agencyUuid: [t.agency.id],
  };
}

/** Path parameters that name a tenant's resource (the others are names any tenant may reuse). */
export const TENANT_OWNED_PARAMS: ReadonlySet<string> = new Set([
  'connectorId', 'userId', 'requestId', 'requestUuid', 'attendeeId', 'policyId', 'workflowId', 'notificationId', 'id', 'deliveryId', 'expenseUuid', 'agencyUuid',
]);

const CONSOLE_STATIC = 'the console\'s static files: the same bytes for everyone, no data';
const DOCS = 'the OpenAPI document and its viewer: describes routes, holds no data';
const PREFIX = '/api/companies/:companyId';
const CONNECTOR = `${PREFIX}/connectors/:connectorId`;
const REQUEST = `${PREFIX}/requests/:requestId`;
const V4 = '/travelrequest/v4';
const newConnector = () => ({ name: 'Intruder connector', description: '', hostName: 'https://intruder.example.test', userName: 'intruder-user', password: 'intruder-password' });
const workflowBody = (t: Tenant) => ({
  name: 'Intruder workflow',
  approvedStepCode: 'REQAPPR',
  steps: [
    { roleCode: 'REQ_MANAGER', approverType: 'USER', approverUserId: t.manager.id, notify: true, stepCode: 'PENDMGRA' },
    { roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: t.connector.id, notify: true },
  ],
});
const notificationService = (t: Tenant) => ({ endpoint: '/notify', active: true, settings: { workflows: [{ workflowId: t.workflow.id, steps: ['SUBMIT'] }] } });
const subscriptionBody = (t: Tenant) => ({ id: t.subscription.id, topic: 'public.concur.request', filter: '.*', webHookConfig: { endpoint: 'https://intruder.example.test/hook' } });
const SUBSCRIPTION_ID_TAKEN = { status: 409, reason: 'subscription ids are unique across ESS (Concur\'s rule): another app\'s id is answered "already used", never overwritten' };

/** Every route's entry, keyed by `METHOD /path`. */
export const ROUTES: Readonly<Record<string, RouteSpec>> = {
  // Public: nothing of any tenant.
  'GET /': { access: 'public', reason: CONSOLE_STATIC },
  'GET /index.html': { access: 'public', reason: CONSOLE_STATIC },
  'GET /assets/*': { access: 'public', reason: CONSOLE_STATIC },
  'GET /docs': { access: 'public', reason: DOCS },
  'GET /docs/': { access: 'public', reason: DOCS },
  'GET /docs/*': { access: 'public', reason: DOCS },
  'GET /docs/json': { access: 'public', reason: DOCS },
  'GET /docs/yaml': { access: 'public', reason: DOCS },
  'GET /docs/static/index.html': { access: 'public', reason: DOCS },
  'GET /docs/static/swagger-initializer.js': { access: 'public', reason: DOCS },
  'GET /healthz': { access: 'public', reason: 'liveness: the status and the kind of store' },
  'GET /metrics': { access: 'public', reason: 'Prometheus metrics, labelled by route pattern and service, never by company or id' },
  'POST /api/session': { access: 'public', reason: 'sign-in: takes credentials, answers only for them (throttled)' },
  'GET /api/ess/signing-keys': { access: 'public', reason: 'the public keys that verify Concur-Signature, public by nature' },
  'GET /api/ess/signing-key.pem': { access: 'public', reason: 'the current Concur-Signature public key' },
  'GET /oauth2/v0/jwks': { access: 'public', reason: 'the public keys that verify access tokens (RFC 7517)' },
  'POST /oauth2/v0/token': { access: 'public', reason: 'the token endpoint: takes credentials, answers only for them (throttled)' },

  // The caller's own session or grants.
  'GET /api/session': { access: 'self', reason: 'who the caller is' },
  'DELETE /api/session': { access: 'self', reason: 'signs the caller out' },
  'DELETE /app-mgmt/v0/connections': { access: 'self', reason: 'revokes the calling user\'s refresh tokens for the calling app' },

  // Operators only, global.
  'POST /api/tokens': { access: 'operator', body: () => ({ label: 'intruder' }) },
  'POST /api/signing-keys/rotate': { access: 'operator' },
  'POST /api/ess/signing-keys/rotate': { access: 'operator' },
  'POST /api/companies': { access: 'operator', body: () => ({ name: 'Intruder Inc', edition: 'STANDARD', developmentPartner: false }) },
  'GET /api/applications': { access: 'operator' },
  'POST /api/applications': { access: 'operator', body: () => ({ name: 'Intruder app', grants: ['client_credentials'], scopes: ['events.topic.read'], redirectUris: [] }) },
  'GET /api/applications/:appId': { access: 'operator' },
  'PATCH /api/applications/:appId': { access: 'operator', body: () => ({ active: false }) },
  'POST /api/applications/:appId/secret': { access: 'operator' },
  'POST /api/ess/subscriptions/:id/replay': { access: 'operator', body: () => ({ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }) },

  // Companies, users, safe lists.
  'GET /api/companies': { access: 'session', list: true },
  [`GET ${PREFIX}`]: { access: 'session' },
  [`PATCH ${PREFIX}`]: { access: 'session', body: () => ({ name: 'Renamed by an intruder' }) },
  [`GET ${PREFIX}/users`]: { access: 'session' },
  [`POST ${PREFIX}/users`]: { access: 'session', body: () => ({ loginId: `intruder-${crypto.randomUUID().slice(0, 8)}@example.test`, name: 'Intruder', password: 'intruder-password', roles: ['CAN_ADMINISTER'] }) },
  [`PATCH ${PREFIX}/users/:userId/workflow`]: { access: 'session', body: (t) => ({ managerId: t.manager.id, employeeId: 'E-INTRUDER', isTest: true }) },
  [`PUT ${PREFIX}/users/:userId/delegates`]: { access: 'session', params: (t) => ({ userId: [t.manager.id] }), body: (t) => ({ delegateIds: [t.traveler.id] }) },
  [`GET ${PREFIX}/safe-list`]: { access: 'session' },
  [`POST ${PREFIX}/safe-list`]: { access: 'session', body: () => ({ host: 'intruder.example.test' }) },
  [`DELETE ${PREFIX}/safe-list/:host`]: { access: 'session' },

  // The connector registry.
  [`GET ${PREFIX}/connectors`]: { access: 'session' },
  [`POST ${PREFIX}/connectors`]: { access: 'session', body: newConnector },
  [`GET ${CONNECTOR}`]: { access: 'session' },
  [`PATCH ${CONNECTOR}`]: { access: 'session', body: () => ({ name: 'Renamed by an intruder', hostName: 'https://intruder.example.test' }) },
  [`DELETE ${CONNECTOR}`]: { access: 'session' },
  [`POST ${CONNECTOR}/test-connection`]: { access: 'session' },
  [`PUT ${CONNECTOR}/services/fetch-attendee`]: { access: 'session', body: (t) => ({ endpoint: '/attendee/v2.0/fetch', active: true, settings: { attendeeTypes: [t.attendeeType.code] } }) },
  [`PUT ${CONNECTOR}/services/fetch-list`]: { access: 'session', body: () => ({ endpoint: '/list/v1.2/fetch', active: false, settings: { lists: [] } }) },
  [`PUT ${CONNECTOR}/services/send-notification`]: { access: 'session', body: notificationService },
  [`PUT ${CONNECTOR}/services/external-report-validation`]: { access: 'session', body: notificationService },
  [`PUT ${CONNECTOR}/services/launch-external-url`]: { access: 'session', body: () => ({ endpoint: '/intruder', active: true, settings: { version: 'V4', clientId: 'intruder', redirectUrl: '' } }) },
  [`POST ${CONNECTOR}/deactivate`]: { access: 'session' },
  [`GET ${CONNECTOR}/audit`]: { access: 'session' },
  [`GET ${PREFIX}/callouts`]: { access: 'session' },
  [`GET ${PREFIX}/notifications`]: { access: 'session' },
  [`POST ${PREFIX}/notifications/:notificationId/retry`]: { access: 'session' },

  // Applications a company is connected to.
  [`POST ${PREFIX}/request-tokens`]: { access: 'session', body: (t) => ({ appId: t.app.id }) },
  [`GET ${PREFIX}/connections`]: { access: 'session' },
  [`DELETE ${PREFIX}/connections/:appId`]: { access: 'session' },

  // Request configuration.
  [`GET ${PREFIX}/workflows`]: { access: 'session' },
  [`POST ${PREFIX}/workflows`]: { access: 'session', body: workflowBody },
  [`GET ${PREFIX}/workflows/:workflowId`]: { access: 'session' },
  [`PUT ${PREFIX}/workflows/:workflowId`]: { access: 'session', body: workflowBody },
  [`GET ${PREFIX}/request-policies`]: { access: 'session' },
  [`POST ${PREFIX}/request-policies`]: { access: 'session', body: (t) => ({ name: 'Intruder policy', workflowId: t.workflow.id, isDefault: true }) },
  [`PUT ${PREFIX}/request-policies/:policyId`]: { access: 'session', body: (t) => ({ name: 'Intruder policy', workflowId: t.workflow.id, isDefault: true }) },
  [`GET ${PREFIX}/travel-agencies`]: { access: 'session' },
  [`POST ${PREFIX}/travel-agencies`]: { access: 'session', body: () => ({ name: 'Intruder agency', emailAddress: 'intruder@example.test' }) },
  [`GET ${PREFIX}/approver-groups`]: { access: 'session' },
  [`PUT ${PREFIX}/approver-groups/:groupName`]: { access: 'session', body: (t) => ({ userIds: [t.traveler.id] }) },
  [`GET ${PREFIX}/workflow-users`]: { access: 'session' },
  [`GET ${PREFIX}/workflow-connectors`]: { access: 'session' },
  [`GET ${PREFIX}/events`]: { access: 'session' },
  [`GET ${PREFIX}/attendee-types`]: { access: 'session' },
  [`PUT ${PREFIX}/attendee-types/:code`]: { access: 'session', body: () => ({ name: 'Intruder type', allowsManual: true }) },
  [`GET ${PREFIX}/form-fields`]: { access: 'session' },
  [`PUT ${PREFIX}/form-fields/:field`]: { access: 'session', body: (t) => ({ label: 'Intruder field', kind: 'LIST', connectorId: t.connector.id, listName: t.listName }) },
  [`DELETE ${PREFIX}/form-fields/:field`]: { access: 'session' },

  // The console's Request pages.
  [`GET ${PREFIX}/requests`]: { access: 'session', query: () => ({ mine: '1' }) },
  [`POST ${PREFIX}/requests`]: { access: 'session', body: (t) => ({ name: 'Intruder trip', policyId: t.policy.id }) },
  [`GET ${REQUEST}`]: { access: 'session' },
  [`PUT ${REQUEST}`]: { access: 'session', body: () => ({ name: 'Renamed by an intruder' }) },
  [`GET ${REQUEST}/comments`]: { access: 'session' },
  [`POST ${REQUEST}/:action`]: { access: 'session', body: () => ({ comment: 'intruder' }) },
  [`POST ${REQUEST}/attendee-search`]: { access: 'session', body: (t) => ({ attendeeTypeCode: t.connectorAttendeeType.code, lastName: 'a' }) },
  [`GET ${REQUEST}/attendees`]: { access: 'session' },
  [`POST ${REQUEST}/attendees`]: { access: 'session', body: (t) => ({ attendeeTypeCode: t.attendeeType.code, firstName: 'Intruder', lastName: 'Guest' }) },
  [`DELETE ${REQUEST}/attendees/:attendeeId`]: { access: 'session', params: (t) => ({ requestId: [t.draft.id] }) },
  [`POST ${REQUEST}/fields/:field/search`]: { access: 'session', body: () => ({ query: 'a*', parentCodes: [] }) },
  [`PUT ${REQUEST}/fields/:field/choice`]: { access: 'session', body: () => ({ codeByLevel: ['US'] }) },
  [`POST ${REQUEST}/fields/:field/launch`]: { access: 'session', params: () => ({ field: ['custom3'] }) },

  // ESS administration.
  'GET /api/ess/subscriptions': { access: 'session', list: true },
  'GET /api/ess/subscriptions/:id': { access: 'session' },
  'GET /api/ess/subscriptions/:id/deliveries': { access: 'session' },
  'GET /api/ess/deliveries/:deliveryId': { access: 'session' },

  // Event Notification management (Concur's paths).
  'GET /api/platform/notifications/v1.0/notification': { access: 'token', list: true, query: () => ({ status: 'FAILED' }) },
  'DELETE /api/platform/notifications/v1.0/notification/:notificationId': { access: 'token' },

  // ESS (Concur's paths, with and without /events).
  ...Object.fromEntries(
    ['/events/v4', '/v4'].flatMap((prefix): Array<[string, RouteSpec]> => [
      [`GET ${prefix}/topics`, { access: 'app-token', list: true }],
      [`GET ${prefix}/subscriptions`, { access: 'app-token', list: true }],
      [`PUT ${prefix}/subscriptions/webhook`, { access: 'app-token', body: subscriptionBody, refusedAlsoWith: SUBSCRIPTION_ID_TAKEN }],
      [`GET ${prefix}/subscriptions/:id`, { access: 'app-token' }],
      [`DELETE ${prefix}/subscriptions/:id`, { access: 'app-token' }],
    ]),
  ),

  // Request v4.
  [`GET ${V4}/requests`]: { access: 'token', list: true },
  [`POST ${V4}/requests`]: { access: 'token', body: (t) => ({ name: 'Intruder trip', policy: { id: t.policy.id } }) },
  [`GET ${V4}/requests/:requestUuid`]: { access: 'token' },
  [`PUT ${V4}/requests/:requestUuid`]: { access: 'token', body: () => ({ name: 'Renamed by an intruder' }) },
  [`DELETE ${V4}/requests/:requestUuid`]: { access: 'token' },
  [`GET ${V4}/requests/:requestUuid/comments`]: { access: 'token' },
  [`GET ${V4}/requests/:requestUuid/expenses`]: { access: 'token' },
  [`POST ${V4}/requests/:requestUuid/expenses`]: { access: 'token', body: () => ({ expenseType: { id: 'TAXI' }, transactionDate: '2031-01-01' }) },
  [`POST ${V4}/requests/:requestUuid/:action`]: { access: 'token', body: () => ({ comment: 'intruder' }) },
  [`GET ${V4}/expenses/:expenseUuid`]: { access: 'token' },
  [`GET ${V4}/userpolicies`]: { access: 'token', list: true },
  [`GET ${V4}/travelagencies/:agencyUuid`]: { access: 'token' },
};

/** The entry of a route, matching `GET /assets/<file>` to `GET /assets/*`. */
export function specOf(route: RouteKey): RouteSpec | undefined {
  const exact = ROUTES[routeName(route)];
  if (exact) return exact;
  if (route.method === 'GET' && /^\/assets\/[^/]+$/.test(route.path)) return ROUTES['GET /assets/*'];
  return undefined;
}

/** A concrete call of a route. */
export interface Call {
  method: string;
  /** Path and query string. */
  url: string;
  body?: unknown;
  /** The values put in the path, by parameter. */
  params: Record<string, string>;
}

/** The route's parameters, in order. */
export function paramsOf(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!);
}

/**
 * Every call of `route` on `owner`'s resources (each combination of parameter values), with `owner`'s
 * body and query; `overrides` replaces parameter values (e.g. the caller's own company id).
 */
export function callsOf(route: RouteKey, spec: RouteSpec, owner: Tenant, overrides: Record<string, string[]> = {}): Call[] {
  const values = { ...paramValues(owner), ...spec.params?.(owner), ...overrides };
  let combos: Array<Record<string, string>> = [{}];
  for (const name of paramsOf(route.path)) {
    const options = values[name];
    if (!options) throw new Error(`No value for the path parameter :${name} of ${routeName(route)}: add one to paramValues or the route's params.`);
    combos = combos.flatMap((combo) => options.map((value) => ({ ...combo, [name]: value })));
  }
  const query = spec.query?.(owner);
  const search = query ? `?${new URLSearchParams(query).toString()}` : '';
  return combos.map((params) => ({
    method: route.method,
    url: `${route.path.replace(/:([A-Za-z]+)/g, (_whole, name: string) => encodeURIComponent(params[name]!))}${search}`,
    ...(spec.body ? { body: spec.body(owner) } : {}),
    params,
  }));
}

/** Who may call an admin API route, beyond being signed in and seeing the company. */
export type Permission =
  /** The seed's rule for connector management (and the Web Services pages built on it). */
  | 'connectors'
  /** Request administration: Request, Company or Can Administer admins. */
  | 'request-admin'
  /** Reading workflows: Request administrators and connector administrators. */
  | 'workflow-read'
  /** Any user of the company (and operators). */
  | 'member'
  /** The company's own users only: requests are made and approved by them, not by operators. */
  | 'company-user'
  /** Platform operators only. */
  | 'operator';

/** The permission of every admin API route that a session or operator token may call. */
export const PERMISSIONS: Readonly<Record<string, Permission>> = {
  'POST /api/tokens': 'operator',
  'POST /api/signing-keys/rotate': 'operator',
  'POST /api/ess/signing-keys/rotate': 'operator',
  'POST /api/companies': 'operator',
  'GET /api/applications': 'operator',
  'POST /api/applications': 'operator',
  'GET /api/applications/:appId': 'operator',
  'PATCH /api/applications/:appId': 'operator',
  'POST /api/applications/:appId/secret': 'operator',
  'POST /api/ess/subscriptions/:id/replay': 'operator',
  'GET /api/companies': 'member',
  [`GET ${PREFIX}`]: 'member',
  [`PATCH ${PREFIX}`]: 'operator',
  [`GET ${PREFIX}/users`]: 'operator',
  [`POST ${PREFIX}/users`]: 'operator',
  [`PATCH ${PREFIX}/users/:userId/workflow`]: 'request-admin',
  [`PUT ${PREFIX}/users/:userId/delegates`]: 'request-admin',
  [`GET ${PREFIX}/safe-list`]: 'connectors',
  [`POST ${PREFIX}/safe-list`]: 'operator',
  [`DELETE ${PREFIX}/safe-list/:host`]: 'operator',
  [`GET ${PREFIX}/connectors`]: 'connectors',
  [`POST ${PREFIX}/connectors`]: 'connectors',
  [`GET ${CONNECTOR}`]: 'connectors',
  [`PATCH ${CONNECTOR}`]: 'connectors',
  [`DELETE ${CONNECTOR}`]: 'connectors',
  [`POST ${CONNECTOR}/test-connection`]: 'connectors',
  [`PUT ${CONNECTOR}/services/fetch-attendee`]: 'connectors',
  [`PUT ${CONNECTOR}/services/fetch-list`]: 'connectors',
  [`PUT ${CONNECTOR}/services/send-notification`]: 'connectors',
  [`PUT ${CONNECTOR}/services/external-report-validation`]: 'connectors',
  [`PUT ${CONNECTOR}/services/launch-external-url`]: 'connectors',
  [`POST ${CONNECTOR}/deactivate`]: 'connectors',
  [`GET ${CONNECTOR}/audit`]: 'connectors',
  [`GET ${PREFIX}/callouts`]: 'connectors',
  [`GET ${PREFIX}/notifications`]: 'connectors',
  [`POST ${PREFIX}/notifications/:notificationId/retry`]: 'connectors',
  [`POST ${PREFIX}/request-tokens`]: 'connectors',
  [`GET ${PREFIX}/connections`]: 'connectors',
  [`DELETE ${PREFIX}/connections/:appId`]: 'connectors',
  [`GET ${PREFIX}/workflows`]: 'workflow-read',
  [`POST ${PREFIX}/workflows`]: 'request-admin',
  [`GET ${PREFIX}/workflows/:workflowId`]: 'request-admin',
  [`PUT ${PREFIX}/workflows/:workflowId`]: 'request-admin',
  [`GET ${PREFIX}/request-policies`]: 'member',
  [`POST ${PREFIX}/request-policies`]: 'request-admin',
  [`PUT ${PREFIX}/request-policies/:policyId`]: 'request-admin',
  [`GET ${PREFIX}/travel-agencies`]: 'request-admin',
  [`POST ${PREFIX}/travel-agencies`]: 'request-admin',
  [`GET ${PREFIX}/approver-groups`]: 'request-admin',
  [`PUT ${PREFIX}/approver-groups/:groupName`]: 'request-admin',
  [`GET ${PREFIX}/workflow-users`]: 'request-admin',
  [`GET ${PREFIX}/workflow-connectors`]: 'request-admin',
  [`GET ${PREFIX}/events`]: 'request-admin',
  [`GET ${PREFIX}/attendee-types`]: 'member',
  [`PUT ${PREFIX}/attendee-types/:code`]: 'request-admin',
  [`GET ${PREFIX}/form-fields`]: 'member',
  [`PUT ${PREFIX}/form-fields/:field`]: 'request-admin',
  [`DELETE ${PREFIX}/form-fields/:field`]: 'request-admin',
  [`GET ${PREFIX}/requests`]: 'company-user',
  [`POST ${PREFIX}/requests`]: 'company-user',
  [`GET ${REQUEST}`]: 'company-user',
  [`PUT ${REQUEST}`]: 'company-user',
  [`GET ${REQUEST}/comments`]: 'company-user',
  [`POST ${REQUEST}/:action`]: 'company-user',
  [`POST ${REQUEST}/attendee-search`]: 'company-user',
  [`GET ${REQUEST}/attendees`]: 'company-user',
  [`POST ${REQUEST}/attendees`]: 'company-user',
  [`DELETE ${REQUEST}/attendees/:attendeeId`]: 'company-user',
  [`POST ${REQUEST}/fields/:field/search`]: 'company-user',
  [`PUT ${REQUEST}/fields/:field/choice`]: 'company-user',
  [`POST ${REQUEST}/fields/:field/launch`]: 'company-user',
  'GET /api/ess/subscriptions': 'connectors',
  'GET /api/ess/subscriptions/:id': 'connectors',
  'GET /api/ess/subscriptions/:id/deliveries': 'connectors',
  'GET /api/ess/deliveries/:deliveryId': 'connectors',
};
