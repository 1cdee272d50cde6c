/**
 * The world the server's fuzz suites run in: a real patchbay (startTestServer) on a given store, with an
 * OAuth2 application with the Request scopes, a traveler whose manager approves (a default Request policy
 * with one manager step), a travel agency, a few requests, an application connector, an ESS application with
 * a subscription, and every kind of caller: an operator API token, console sessions (a connector
 * administrator, a Request administrator, the traveler), a user token, a company token and an app token.
 * Objects that fuzzed input may legitimately damage (an application disabled, a user's delegates replaced)
 * are sacrificial ones, not those the callers' credentials depend on.
 *
 * Lighter than the Request fixture (which seeds fifteen people): each password costs ~50 ms of scrypt, and
 * every suite starts its own world.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/server.ts';
import { EXTERNAL_WORKFLOW_WRITE, REQUEST_V4, REQUEST_WRITE } from '../support/request-fixtures.ts';
import { appToken, createEssApp, subscribe, type EssApp } from '../support/ess-fixtures.ts';
import type { TestDatabase } from '../support/stores.ts';
import { createApplication } from '../../src/identity/applications.ts';
import { createRequestToken } from '../../src/identity/oauth.ts';
import type { Principal } from '../../src/identity/principal.ts';
import { createTravelAgency, savePolicy, saveWorkflow, updateUserWorkflowFields } from '../../src/requests/workflow-admin.ts';

/** Headers that authenticate one kind of caller. */
export interface Caller {
  name: string;
  headers: Record<string, string>;
  /** A query string the caller always sends (e.g. the `userId` a company token acts as). */
  query?: string;
}

/** A user of the world's company. */
export interface Person {
  id: string;
  loginId: string;
  password: string;
}

/** The Request side of the world. */
export interface WorldFixture {
  /** The OAuth2 application with the Request scopes (password and client_credentials grants). */
  app: { id: string; secret: string };
  people: { traveler: Person; manager: Person; colleague: Person };
  /** The default policy: one REQ_MANAGER step. */
  defaultPolicy: { workflowId: string; policyId: string };
  agency: { id: string };
}

/** What the fuzz suites run against. */
export interface FuzzWorld {
  server: TestServer;
  url: string;
  fixture: WorldFixture;
  essApp: EssApp;
  /** The subscription of the ESS application. */
  subscriptionId: string;
  /** An application connector registered with the admin API (not verified: its host does not exist). */
  connectorId: string;
  /** Requests of the traveler (never submitted at the start). */
  requestIds: string[];
  callers: {
    anonymous: Caller;
    operator: Caller;
    connectorAdmin: Caller;
    requestAdmin: Caller;
    traveler: Caller;
    userToken: Caller;
    companyToken: Caller;
    appToken: Caller;
    badToken: Caller;
  };
  /** An application no caller's token depends on (for `:appId`). */
  sacrificialAppId: string;
  /** A user no caller depends on (for `:userId`). */
  sacrificialUserId: string;
  /** Real ids of the world, for `format: uuid` fields. */
  uuids: string[];
  close(): Promise<void>;
}

async function json(url: string, init: RequestInit, expected: number, what: string): Promise<any> {
  const response = await fetch(url, init);
  const text = await response.text();
  assert.equal(response.status, expected, `${what}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A console session: the cookie and the CSRF token. */
async function session(url: string, credentials: { loginId: string; password: string }): Promise<Record<string, string>> {
  const response = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId: credentials.loginId, password: credentials.password }) });
  const text = await response.text();
  assert.equal(response.status, 200, `sign-in: ${text}`);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrfToken } = JSON.parse(text) as { csrfToken: string };
  return { cookie, 'x-csrf-token': csrfToken };
}

async function token(url: string, form: Record<string, string>): Promise<string> {
  const body = await json(`${url}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() }, 200, `token (${form.grant_type})`);
  return body.access_token as string;
}

/** Starts the world on `database`. Failed sign-ins are not throttled unless `throttle`, so fuzzed input reaches the product's checks. */
export async function createFuzzWorld(database: TestDatabase, options: { throttle?: boolean; server?: TestServerOptions } = {}): Promise<FuzzWorld> {
  const env: Record<string, string> = options.throttle ? {} : { PATCHBAY_SIGN_IN_ATTEMPTS_PER_WINDOW: '0', PATCHBAY_SIGN_IN_ATTEMPTS_PER_IP: '0' };
  const server = await startTestServer({ ...options.server, database, env: { ...env, ...options.server?.env } });
  try {
    const { store } = server.patchbay;
    const db = store.db;
    const url = server.url;
    const companyId = server.companyId;

    const person = async (roles: Parameters<TestServer['addUser']>[1] = ['EMPLOYEE']): Promise<Person> => {
      const credentials = await server.addUser(companyId, roles);
      const row = await db.selectFrom('users').select('id').where('login_id', '=', credentials.loginId.toLowerCase()).executeTakeFirstOrThrow();
      return { id: row.id, ...credentials };
    };
    const [traveler, manager, colleague, sacrificialUser] = [await person(), await person(), await person(), await person()];
    const requestAdminLogin = await server.addUser(companyId, ['REQUEST_ADMIN']);

    const created = await store.transaction((trx) =>
      createApplication(trx, null, { name: `Fuzz Request app ${randomUUID().slice(0, 8)}`, grants: ['password', 'client_credentials'], scopes: [REQUEST_WRITE, EXTERNAL_WORKFLOW_WRITE], redirectUris: [] }),
    );
    const app = { id: created.application.id, secret: created.clientSecret };
    const { defaultPolicy, agency } = await store.transaction(async (trx) => {
      for (const who of [traveler, colleague]) await updateUserWorkflowFields(trx, null, companyId, who.id, { managerId: manager.id });
      const workflow = await saveWorkflow(trx, null, companyId, { name: 'Fuzz workflow', approvedStepCode: 'REQAPPR', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' }] });
      const policy = await savePolicy(trx, null, companyId, { name: 'Fuzz policy', workflowId: workflow.id, isDefault: true });
      const office = await createTravelAgency(trx, null, companyId, { name: 'Fuzz agency', emailAddress: 'agency@example.test', appId: app.id });
      return { defaultPolicy: { workflowId: workflow.id, policyId: policy.id }, agency: { id: office.id } };
    });

    const operatorRow = await db.selectFrom('users').select(['id', 'name']).where('login_id', '=', server.operator.loginId.toLowerCase()).executeTakeFirstOrThrow();
    const operatorPrincipal: Principal = { userId: operatorRow.id, loginId: server.operator.loginId, name: operatorRow.name, companyId: null, isOperator: true, roles: [], via: 'api-token', csrfToken: null };
    const operatorSession = await session(url, server.operator);
    const operatorToken = (await json(`${url}/api/tokens`, { method: 'POST', headers: { ...operatorSession, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'fuzz' }) }, 201, 'operator token')).token as string;

    const userToken = await token(url, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: traveler.loginId, password: traveler.password });
    const { requestToken } = await store.transaction((trx) => createRequestToken(trx, operatorPrincipal, companyId, app.id));
    const companyToken = await token(url, { grant_type: 'password', credtype: 'authtoken', client_id: app.id, client_secret: app.secret, username: companyId, password: requestToken });

    const requestIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const body = await json(`${url}${REQUEST_V4}/requests`, { method: 'POST', headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Fuzz trip ${i + 1}`, businessPurpose: 'Fuzzing' }) }, 201, 'a request');
      requestIds.push(body.id as string);
    }

    const connectorAdmin = await session(url, server.admin);
    const connectorId = (await json(`${url}/api/companies/${companyId}/connectors`, {
      method: 'POST',
      headers: { ...connectorAdmin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Fuzz connector', description: 'Registered by the fuzz suite', hostName: 'https://connector.invalid', userName: 'fuzz-connector-user', password: 'fuzz-connector-password' }),
    }, 201, 'connector')).id as string;

    const essApp = await createEssApp(store);
    const subscriptionId = `fuzz-${randomUUID().slice(0, 8)}`;
    await subscribe(url, essApp, { id: subscriptionId, endpoint: 'https://subscriber.example.test/hook', filter: 'statusChange\\..*' });

    const sacrificial = await store.transaction((trx) => createApplication(trx, null, { name: `Sacrificial ${randomUUID().slice(0, 8)}`, grants: ['client_credentials'], scopes: ['events.topic.read'], redirectUris: [] }));

    const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
    const uuids = [companyId, connectorId, app.id, essApp.id, sacrificial.application.id, traveler.id, manager.id, colleague.id, sacrificialUser.id];
    return {
      server,
      url,
      fixture: { app, people: { traveler, manager, colleague }, defaultPolicy, agency },
      essApp,
      subscriptionId,
      connectorId,
      requestIds,
      callers: {
        anonymous: { name: 'anonymous', headers: {} },
        operator: { name: 'operator API token', headers: bearer(operatorToken) },
        connectorAdmin: { name: 'connector administrator session', headers: connectorAdmin },
        requestAdmin: { name: 'Request administrator session', headers: await session(url, requestAdminLogin) },
        traveler: { name: 'traveler session', headers: await session(url, traveler) },
        userToken: { name: 'user token', headers: bearer(userToken) },
        companyToken: { name: 'company token', headers: bearer(companyToken) },
        appToken: { name: 'app token', headers: bearer(await appToken(url, essApp)) },
        badToken: { name: 'a forged token', headers: bearer(`${userToken.slice(0, -8)}AAAAAAAA`) },
      },
      sacrificialAppId: sacrificial.application.id,
      sacrificialUserId: sacrificialUser.id,
      uuids,
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
