/**
 * A Concur Request world for tests, built on a running test server: an OAuth2 application with the
 * Request scopes, a company's travelers and approvers (a traveler with a manager, named approvers,
 * approver groups, a traveler without manager, a test user), a travel agency office linked to the
 * application, an application connector for External Validation steps, workflows and policies made
 * with the product's admin functions, and token-carrying HTTP clients for Request v4
 * (`/travelrequest/v4/...`). Also reads the event outbox and snapshots the Request tables.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestServer } from './server.ts';
import { createApplication } from '../../src/identity/applications.ts';
import { createRequestToken } from '../../src/identity/oauth.ts';
import type { Principal, Role } from '../../src/identity/principal.ts';
import { createTravelAgency, savePolicy, saveWorkflow, setGroupMembers, updateUserWorkflowFields, type StepInput, type TravelAgency } from '../../src/requests/workflow-admin.ts';
import type { StatusChangeEvent } from '../../src/requests/status-change-event.ts';

/** The scope of every Request v4 call. */
export const REQUEST_WRITE = 'travelrequest.write';
/** The scope that answers External Validation steps without a user. */
export const EXTERNAL_WORKFLOW_WRITE = 'travelrequest.externalsystemworkflow.write';
/** Request v4's base path. */
export const REQUEST_V4 = '/travelrequest/v4';

/** A user of the fixture's company. */
export interface Person {
  id: string;
  loginId: string;
  password: string;
  /** The display name, "User <n>": `firstName` "User", `lastName` "<n>" in Request v4. */
  name: string;
}

/** The people of a fixture. */
export interface People {
  /** Has `manager` as manager. */
  traveler: Person;
  /** Another traveler with `manager` as manager. */
  colleague: Person;
  manager: Person;
  auditor: Person;
  costObjectApprover: Person;
  authorizedApprover: Person;
  budgetManager: Person;
  riskManager: Person;
  customApprover: Person;
  /** Members of the group `TMC_GROUP`. */
  tmcAgent1: Person;
  tmcAgent2: Person;
  /** The one member of the group `ADMIN_GROUP`. */
  requestAdministrator: Person;
  /** A traveler without a manager. */
  loner: Person;
  /** A test user (`isTest`) with `manager` as manager. */
  tester: Person;
  /** Plays no part in any workflow. */
  outsider: Person;
}

/** The approver group of the TMC agents. */
export const TMC_GROUP = 'TMC Agents';
/** The approver group of the Request administrators. */
export const ADMIN_GROUP = 'Request Administrators';
/** A group whose only member is the traveler: nobody else may approve at its steps. */
export const SELF_GROUP = 'Traveler Only';
/** A group without members. */
export const EMPTY_GROUP = 'Nobody';

/** One answer of Request v4. */
export interface Answer<T = any> {
  method: string;
  /** The path and query called. */
  url: string;
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** How to call one endpoint. */
export interface CallOptions {
  query?: Record<string, string | undefined>;
  /** A JSON body (serialized here). */
  body?: unknown;
  /** A body sent as is, with `contentType` (default application/json). */
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A Request v4 client carrying one access token. */
export interface RequestApi {
  readonly token: string;
  /** Calls `path` under `/travelrequest/v4`. */
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Answer<T>>;
  list(query?: Record<string, string | undefined>, options?: CallOptions): Promise<Answer>;
  create(body: unknown, query?: Record<string, string | undefined>, options?: CallOptions): Promise<Answer>;
  get(id: string, query?: Record<string, string | undefined>, options?: CallOptions): Promise<Answer>;
  update(id: string, body: unknown, query?: Record<string, string | undefined>, options?: CallOptions): Promise<Answer>;
  remove(id: string, query?: Record<string, string | undefined>, options?: CallOptions): Promise<Answer>;
  /** A workflow action; without `options.body`/`rawBody` the POST has no body at all. */
  action(id: string, action: string, options?: CallOptions): Promise<Answer>;
  addExpense(id: string, body: unknown, query?: Record<string, string | undefined>): Promise<Answer>;
  expenses(id: string, query?: Record<string, string | undefined>): Promise<Answer>;
  comments(id: string, query?: Record<string, string | undefined>): Promise<Answer>;
}

/** An event as stored in the outbox, with its row's columns. */
export interface StoredEvent {
  seq: number;
  id: string;
  companyId: string;
  topic: string;
  eventType: string;
  requestId: string;
  createdAt: number;
  /** The stored JSON text, exactly. */
  payloadText: string;
  payload: StatusChangeEvent;
}

/** A workflow and the policy assigned to it. */
export interface PolicyRef {
  workflowId: string;
  policyId: string;
}

/** Options of `createRequestFixture`. */
export interface FixtureOptions {
  /** The company (default: the test server's main company). */
  companyId?: string;
  /** Called with every Request v4 answer, e.g. to validate it against the swagger. */
  onAnswer?: (answer: Answer) => void;
}

/** What `createRequestFixture` builds. */
export interface RequestFixture {
  server: TestServer;
  companyId: string;
  entityId: string;
  app: { id: string; secret: string };
  people: People;
  agency: TravelAgency;
  /** The id of the application connector External Validation steps use. */
  connectorId: string;
  /** The policy of the default workflow: one REQ_MANAGER step (notify on, PENDMGRA), approved REQAPPR. */
  defaultPolicy: PolicyRef;
  /** Creates a workflow with `steps` and a policy assigned to it. */
  policy(steps: StepInput[], options?: { approvedStepCode?: string | null; isDefault?: boolean; name?: string }): Promise<PolicyRef>;
  /** A user token for `person` (cached), with the app's scopes or `scopes`. */
  userApi(person: Person, scopes?: readonly string[]): Promise<RequestApi>;
  /**
   * A company token (cached per scope set) from a Company Request Token: of the fixture's application
   * (both Request scopes), or of an application granted exactly `scopes`.
   */
  companyApi(scopes?: readonly string[]): Promise<RequestApi>;
  /** A client with a given raw token (or none). */
  apiWith(token: string | null): RequestApi;
  /** The outbox rows, oldest first; only those of `requestId` when given. */
  events(requestId?: string): Promise<StoredEvent[]>;
  /** The outbox rows with `seq` greater than `afterSeq`. */
  eventsAfter(afterSeq: number): Promise<StoredEvent[]>;
  /** The highest outbox `seq` so far (0 when empty). */
  lastSeq(): Promise<number>;
  /** Every row of `requests`, `events`, `request_comments` and `request_expenses`, serialized and sorted. */
  snapshot(): Promise<Record<string, string[]>>;
  /** Creates a request as `person` (user token) with a fresh name and returns its body. */
  newRequest(person: Person, fields?: Record<string, unknown>): Promise<any>;
  /** Adds a user to the company, with a manager and the test-user flag when given. */
  addPerson(fields?: { managerId?: string; isTest?: boolean }): Promise<Person>;
}

let fixtureCounter = 0;

async function postForm(url: string, form: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A Request v4 client over `baseUrl` with `token` (or no Authorization header). */
export function requestApi(baseUrl: string, token: string | null, onAnswer?: (answer: Answer) => void): RequestApi {
  const call = async <T>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.append(name, value);
    const search = query.toString();
    const url = `${REQUEST_V4}${path}${search ? `?${search}` : ''}`;
    const headers: Record<string, string> = { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...options.headers };
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= options.contentType ?? 'application/json';
    const response = await fetch(`${baseUrl}${url}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text so that assertions show it
    }
    const answer: Answer<T> = { method, url, status: response.status, body: parsed as T, text, headers: response.headers };
    onAnswer?.(answer);
    return answer;
  };
  const withQuery = (query: Record<string, string | undefined> | undefined, options: CallOptions = {}): CallOptions => ({ ...options, query: { ...query, ...options.query } });
  return {
    token: token ?? '',
    call,
    list: (query, options) => call('GET', '/requests', withQuery(query, options)),
    create: (body, query, options) => call('POST', '/requests', { ...withQuery(query, options), body }),
    get: (id, query, options) => call('GET', `/requests/${id}`, withQuery(query, options)),
    update: (id, body, query, options) => call('PUT', `/requests/${id}`, { ...withQuery(query, options), body }),
    remove: (id, query, options) => call('DELETE', `/requests/${id}`, withQuery(query, options)),
    action: (id, action, options = {}) => call('POST', `/requests/${id}/${action}`, options),
    addExpense: (id, body, query) => call('POST', `/requests/${id}/expenses`, { query: query ?? {}, body }),
    expenses: (id, query) => call('GET', `/requests/${id}/expenses`, { query: query ?? {} }),
    comments: (id, query) => call('GET', `/requests/${id}/comments`, { query: query ?? {} }),
  };
}

/** Builds the Request world on `server` (its main company unless `options.companyId`). */
export async function createRequestFixture(server: TestServer, options: FixtureOptions = {}): Promise<RequestFixture> {
  const { store } = server.patchbay;
  const db = store.db;
  const companyId = options.companyId ?? server.companyId;
  const serial = ++fixtureCounter;
  const company = await db.selectFrom('companies').select('entity_id').where('id', '=', companyId).executeTakeFirstOrThrow();

  const { application, clientSecret } = await store.transaction((trx) =>
    createApplication(trx, null, {
      name: `Request test app ${serial}-${randomUUID().slice(0, 8)}`,
      grants: ['password', 'client_credentials'],
      scopes: [REQUEST_WRITE, EXTERNAL_WORKFLOW_WRITE],
      redirectUris: [],
    }),
  );
  const app = { id: application.id, secret: clientSecret };

  const person = async (roles: Role[] = ['EMPLOYEE']): Promise<Person> => {
    const credentials = await server.addUser(companyId, roles);
    const row = await db.selectFrom('users').select(['id', 'name']).where('login_id', '=', credentials.loginId.toLowerCase()).executeTakeFirstOrThrow();
    return { id: row.id, loginId: credentials.loginId, password: credentials.password, name: row.name };
  };
  const names = ['traveler', 'colleague', 'manager', 'auditor', 'costObjectApprover', 'authorizedApprover', 'budgetManager', 'riskManager', 'customApprover', 'tmcAgent1', 'tmcAgent2', 'requestAdministrator', 'loner', 'tester', 'outsider'] as const;
  const people = {} as People;
  for (const name of names) people[name] = await person();

  const agency = await store.transaction(async (trx) => {
    for (const who of ['traveler', 'colleague', 'tester'] as const) await updateUserWorkflowFields(trx, null, companyId, people[who].id, { managerId: people.manager.id });
    await updateUserWorkflowFields(trx, null, companyId, people.tester.id, { isTest: true });
    await setGroupMembers(trx, null, companyId, TMC_GROUP, [people.tmcAgent1.id, people.tmcAgent2.id]);
    await setGroupMembers(trx, null, companyId, ADMIN_GROUP, [people.requestAdministrator.id]);
    await setGroupMembers(trx, null, companyId, SELF_GROUP, [people.traveler.id]);
    return createTravelAgency(trx, null, companyId, { name: `Agency ${serial}`, emailAddress: `agency${serial}@example.test`, appId: app.id });
  });

  // The application connector an External Validation step names (its callouts are not exercised here).
  const connectorId = randomUUID();
  const now = Date.now();
  await db
    .insertInto('connectors')
    .values({
      id: connectorId,
      company_id: companyId,
      name: `External validation ${serial}`,
      description: 'Validates requests before approval',
      host_name: 'https://validator.example.test',
      user_name: 'concur',
      password_encrypted: 'v1.not-a-real-secret',
      verified: false,
      verified_at: null,
      last_test_at: null,
      last_test_outcome: null,
      last_test_message: null,
      last_test_http_status: null,
      created_at: now,
      updated_at: now,
    })
    .execute();

  let policyCounter = 0;
  const policy: RequestFixture['policy'] = async (steps, policyOptions = {}) =>
    store.transaction(async (trx) => {
      const name = policyOptions.name ?? `Workflow ${serial}.${++policyCounter}`;
      const workflow = await saveWorkflow(trx, null, companyId, { name, approvedStepCode: policyOptions.approvedStepCode === undefined ? 'REQAPPR' : policyOptions.approvedStepCode, steps });
      const saved = await savePolicy(trx, null, companyId, { name: `Policy for ${name}`, workflowId: workflow.id, isDefault: policyOptions.isDefault ?? false });
      return { workflowId: workflow.id, policyId: saved.id };
    });
  const defaultPolicy = await policy([{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' }], { isDefault: true, name: `Default workflow ${serial}` });

  const userTokens = new Map<string, string>();
  const userApi: RequestFixture['userApi'] = async (who, scopes) => {
    const key = `${who.id} ${scopes?.join(' ') ?? '*'}`;
    let token = userTokens.get(key);
    if (!token) {
      const answer = await postForm(server.url, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: who.loginId, password: who.password, ...(scopes ? { scope: scopes.join(' ') } : {}) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      token = answer.body.access_token as string;
      userTokens.set(key, token);
    }
    return requestApi(server.url, token, options.onAnswer);
  };

  const operatorRow = await db.selectFrom('users').select(['id', 'name']).where('login_id', '=', server.operator.loginId.toLowerCase()).executeTakeFirstOrThrow();
  const operator: Principal = { userId: operatorRow.id, loginId: server.operator.loginId, name: operatorRow.name, companyId: null, isOperator: true, roles: [], via: 'api-token', csrfToken: null };
  // One application per scope set: reconnecting a company to the same application would revoke the
  // company tokens of its earlier connection.
  const companyTokens = new Map<string, string>();
  const companyApi: RequestFixture['companyApi'] = async (scopes) => {
    const key = scopes?.join(' ') ?? '*';
    let token = companyTokens.get(key);
    if (!token) {
      const client = scopes
        ? await store.transaction(async (trx) => {
            const created = await createApplication(trx, null, { name: `Request test app ${serial} (${key}) ${randomUUID().slice(0, 8)}`, grants: ['password'], scopes: [...scopes], redirectUris: [] });
            return { id: created.application.id, secret: created.clientSecret };
          })
        : app;
      const { requestToken } = await store.transaction((trx) => createRequestToken(trx, operator, companyId, client.id));
      const answer = await postForm(server.url, { grant_type: 'password', credtype: 'authtoken', client_id: client.id, client_secret: client.secret, username: companyId, password: requestToken });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      token = answer.body.access_token as string;
      companyTokens.set(key, token);
    }
    return requestApi(server.url, token, options.onAnswer);
  };

  const toStored = (row: { seq: number | string; id: string; company_id: string; topic: string; event_type: string; request_id: string; created_at: number | string; payload: string }): StoredEvent => ({
    seq: Number(row.seq),
    id: row.id,
    companyId: row.company_id,
    topic: row.topic,
    eventType: row.event_type,
    requestId: row.request_id,
    createdAt: Number(row.created_at),
    payloadText: row.payload,
    payload: JSON.parse(row.payload) as StatusChangeEvent,
  });
  const events: RequestFixture['events'] = async (requestId) => {
    let query = db.selectFrom('events').selectAll();
    if (requestId !== undefined) query = query.where('request_id', '=', requestId);
    return (await query.orderBy('seq').execute()).map(toStored);
  };
  const eventsAfter: RequestFixture['eventsAfter'] = async (afterSeq) => (await db.selectFrom('events').selectAll().where('seq', '>', afterSeq).orderBy('seq').execute()).map(toStored);
  const lastSeq: RequestFixture['lastSeq'] = async () => {
    const row = await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirst();
    return Number(row?.max ?? 0);
  };
  const snapshot: RequestFixture['snapshot'] = async () => {
    const sorted = (rows: object[]) => rows.map((row) => JSON.stringify(row)).sort();
    return {
      requests: sorted(await db.selectFrom('requests').selectAll().execute()),
      events: sorted(await db.selectFrom('events').selectAll().execute()),
      request_comments: sorted(await db.selectFrom('request_comments').selectAll().execute()),
      request_expenses: sorted(await db.selectFrom('request_expenses').selectAll().execute()),
    };
  };
  let requestCounter = 0;
  const newRequest: RequestFixture['newRequest'] = async (who, fields = {}) => {
    const api = await userApi(who);
    const answer = await api.create({ name: `Trip ${serial}.${++requestCounter}`, businessPurpose: 'Customer visit', ...fields });
    assert.equal(answer.status, 201, answer.text);
    return answer.body;
  };

  return {
    server,
    companyId,
    entityId: company.entity_id,
    app,
    people,
    agency,
    connectorId,
    defaultPolicy,
    policy,
    userApi,
    companyApi,
    apiWith: (token) => requestApi(server.url, token, options.onAnswer),
    events,
    eventsAfter,
    lastSeq,
    snapshot,
    newRequest,
    async addPerson(fields = {}) {
      const added = await person();
      if (fields.managerId !== undefined || fields.isTest !== undefined) {
        await store.transaction((trx) => updateUserWorkflowFields(trx, null, companyId, added.id, { managerId: fields.managerId, isTest: fields.isTest }));
      }
      return added;
    },
  };
}
