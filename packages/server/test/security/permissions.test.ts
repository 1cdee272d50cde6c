/**
 * The permission matrix, table driven and route by route. Admin API: for company profiles (edition,
 * Development Partner flag, roles) and an operator, every route a session can call is called on the
 * profile's own company, and is refused with 403 `permission_denied` exactly when the route's
 * permission (route-table.ts: the seed's connector rule, Request administration, workflow reading,
 * company membership, the company's own users, operators) does not allow the profile. Permission checks
 * come before any resource is looked up, so made-up ids of the right shape show the decision. OAuth2
 * scopes of the Concur-compatible routes: app, company and user tokens with each scope set, on Request
 * v4 (travelrequest.write; externalsystemworkflow.write with no user at an External Validation step),
 * ESS (events.topic.read), the notification API and app-mgmt. SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Company, Edition } from '../../src/companies/companies.ts';
import { connectorPermission } from '../../src/companies/permissions.ts';
import { ADMIN_ROLES, type Principal, type Role } from '../../src/identity/principal.ts';
import { createApplication } from '../../src/identity/applications.ts';
import { startTestServer, type Credentials, type TestServer } from '../support/server.ts';
import { signIn } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import { tokenEndpoint, travelerAndManager } from '../support/ess-fixtures.ts';
import { PERMISSIONS, ROUTES, callsOf, listRoutes, routeName, specOf, type Permission } from './route-table.ts';
import { phantomTenant } from './world.ts';
import { send, sessionHeaders, withQuery } from './probe.ts';

/** A company profile and the user whose permissions are tested. */
interface Profile {
  edition: Edition;
  developmentPartner: boolean;
  roles: Role[];
}

const PROFILES: Profile[] = [
  { edition: 'STANDARD', developmentPartner: false, roles: ['CAN_ADMINISTER'] },
  { edition: 'STANDARD', developmentPartner: false, roles: ['EMPLOYEE'] },
  { edition: 'STANDARD', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] },
  { edition: 'STANDARD', developmentPartner: false, roles: ['REQUEST_ADMIN'] },
  { edition: 'DEVELOPER_SANDBOX', developmentPartner: false, roles: ['CAN_ADMINISTER'] },
  { edition: 'DEVELOPER_SANDBOX', developmentPartner: false, roles: ['EXPENSE_ADMIN'] },
  { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] },
  { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['EXPENSE_ADMIN'] },
  { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['REQUEST_ADMIN'] },
  { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['COMPANY_ADMIN'] },
  { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['CAN_ADMINISTER', 'EMPLOYEE'] },
  { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['EMPLOYEE'] },
  { edition: 'PROFESSIONAL', developmentPartner: false, roles: ['WEB_SERVICES_ADMINISTRATOR'] },
  { edition: 'PROFESSIONAL', developmentPartner: false, roles: ['COMPANY_ADMIN'] },
];

/** What the seed's rules allow `profile` (null: an operator). */
function allows(permission: Permission, profile: Profile | null): boolean {
  if (profile === null) return permission !== 'company-user';
  const company: Company = { id: 'c', name: 'c', edition: profile.edition, developmentPartner: profile.developmentPartner, entityId: 'p0000000', createdAt: '' };
  const principal: Principal = { userId: 'u', loginId: 'u', name: 'u', companyId: 'c', isOperator: false, roles: profile.roles, via: 'session', csrfToken: null };
  const connectors = connectorPermission(principal, company).allowed;
  const requestAdmin = profile.roles.some((role) => role === 'REQUEST_ADMIN' || role === 'COMPANY_ADMIN' || role === 'CAN_ADMINISTER');
  switch (permission) {
    case 'connectors':
      return connectors;
    case 'request-admin':
      return requestAdmin;
    case 'workflow-read':
      return connectors || requestAdmin;
    case 'member':
    case 'company-user':
      return true;
    case 'operator':
      return false;
  }
}

const describeProfile = (profile: Profile | null): string =>
  profile === null ? 'operator' : `${profile.edition}${profile.developmentPartner ? ' (Development Partner)' : ''} ${profile.roles.join('+')}`;

for (const { kind, skip } of await storeSuites()) {
  describe(`permission matrix [${kind.name}]`, { skip }, () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer({ database: await kind.create(), env: { PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true' } });
    });
    after(async () => server?.close());

    test('every admin API route a session can call has a permission in the table', () => {
      const missing = listRoutes(server.patchbay.app)
        .filter((route) => ['session', 'operator'].includes(specOf(route)?.access ?? ''))
        .map(routeName)
        .filter((name) => PERMISSIONS[name] === undefined);
      assert.deepEqual(missing, [], `add these to PERMISSIONS in test/security/route-table.ts:\n${missing.join('\n')}`);
    });

    test('admin API: each profile is refused (403 permission_denied) exactly the routes its permissions do not allow', async (t) => {
      const routes = listRoutes(server.patchbay.app).filter((route) => PERMISSIONS[routeName(route)] !== undefined);
      const failures: string[] = [];
      let calls = 0;
      for (const profile of [null, ...PROFILES]) {
        let companyId: string;
        let credentials: Credentials;
        if (profile === null) {
          ({ companyId } = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['EMPLOYEE'] }));
          credentials = server.operator;
        } else {
          ({ companyId, user: credentials } = await server.addCompany(profile));
        }
        const headers = await sessionHeaders(server.url, credentials);
        const phantom = phantomTenant(companyId);
        for (const route of routes) {
          const permission = PERMISSIONS[routeName(route)]!;
          const allowed = allows(permission, profile);
          const [call] = callsOf(route, ROUTES[routeName(route)]!, phantom, { action: ['submit'], requestId: [phantom.draft.id] });
          calls++;
          const answer = await send(server.url, call!.method, call!.url, call!.body, headers);
          const where = `${describeProfile(profile)} · ${routeName(route)} (${permission}): ${answer.status} ${answer.text.slice(0, 200)}`;
          if (answer.status >= 500 || answer.status === 401) failures.push(`unexpected ${where}`);
          else if (allowed && answer.status === 403) failures.push(`refused but allowed: ${where}`);
          else if (!allowed) {
            if (answer.status !== 403) failures.push(`not refused: ${where}`);
            else if (JSON.parse(answer.text).error?.code !== 'permission_denied') failures.push(`refused without permission_denied: ${where}`);
          }
        }
      }
      t.diagnostic(`${calls} calls: ${PROFILES.length + 1} profiles × ${routes.length} routes; ${failures.length} failures`);
      assert.deepEqual(failures, [], failures.join('\n'));
    });

    test('admin API: a refusal names the missing permission (seed\'s rule for connectors)', async () => {
      const cases: Array<{ profile: Profile; missing: RegExp }> = [
        { profile: { edition: 'STANDARD', developmentPartner: false, roles: ['EMPLOYEE'] }, missing: /Can Administer/ },
        { profile: { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['EMPLOYEE'] }, missing: /Web Services Administrator/ },
        { profile: { edition: 'PROFESSIONAL', developmentPartner: false, roles: ['WEB_SERVICES_ADMINISTRATOR'] }, missing: /Development Partner/ },
      ];
      for (const { profile, missing } of cases) {
        const { companyId, user } = await server.addCompany(profile);
        const client = await signIn(server.url, user);
        const answer = await client.post(`/api/companies/${companyId}/connectors`, { name: 'X', description: '', hostName: 'https://x.example.test', userName: 'user-name-ok', password: 'password-ok' });
        assert.equal(answer.status, 403);
        assert.match(answer.body.error.message, missing);
      }
      // Every admin role counts in Professional editions, as the seed says.
      for (const role of ADMIN_ROLES) assert.equal(allows('connectors', { edition: 'PROFESSIONAL', developmentPartner: true, roles: [role] }), true, role);
    });

    test('OAuth2 scopes of the Concur-compatible routes: each token type and scope set is refused (403) exactly where the route does not accept it', async (t) => {
      const { store } = server.patchbay;
      const ALL = ['events.topic.read', 'travelrequest.write', 'travelrequest.externalsystemworkflow.write'];
      const { application, clientSecret } = await store.transaction((trx) => createApplication(trx, null, { name: 'Scope matrix app', grants: ['client_credentials', 'password'], scopes: ALL, redirectUris: [] }));
      const app = { id: application.id, secret: clientSecret };
      const admin = await signIn(server.url, server.admin);
      const people = await travelerAndManager(server);
      const travelerId = (await store.db.selectFrom('users').select('id').where('login_id', '=', people.traveler.loginId.toLowerCase()).executeTakeFirstOrThrow()).id;
      const traveler = await signIn(server.url, people.traveler);
      const connector = await admin.post(`/api/companies/${server.companyId}/connectors`, { name: 'Validator', description: '', hostName: 'https://validator.example.test', userName: 'validator-user', password: 'validator-password' });
      assert.equal(connector.status, 201, JSON.stringify(connector.body));
      const workflow = (await store.transaction(async (trx) => {
        const { saveWorkflow, savePolicy } = await import('../../src/requests/workflow-admin.ts');
        const saved = await saveWorkflow(trx, null, server.companyId, { name: 'External validation only', approvedStepCode: 'REQAPPR', steps: [{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: connector.body.id, notify: true }] });
        return { workflow: saved, policy: await savePolicy(trx, null, server.companyId, { name: 'External validation policy', workflowId: saved.id, isDefault: false }) };
      }));
      const atExternalValidation = async (): Promise<string> => {
        const created = await traveler.post(`/api/companies/${server.companyId}/requests`, { name: 'Needs validation', policyId: workflow.policy.id });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const submitted = await traveler.post(`/api/companies/${server.companyId}/requests/${created.body.id}/submit`, {});
        assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
        return created.body.id;
      };
      const draft = (await traveler.post(`/api/companies/${server.companyId}/requests`, { name: 'Draft' })).body.id as string;

      const token = async (form: Record<string, string>): Promise<string> => {
        const answer = await tokenEndpoint(server.url, { client_id: app.id, client_secret: app.secret, ...form });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return answer.body.access_token;
      };
      const companyToken = async (scope: string): Promise<string> => {
        const made = await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: app.id });
        return token({ grant_type: 'password', credtype: 'authtoken', username: server.companyId, password: made.body.requestToken, scope });
      };
      type Kind = 'app' | 'company' | 'user';
      const tokens: Array<{ kind: Kind; scopes: string[]; token: string; who?: 'admin' | 'traveler' }> = [];
      for (const scopes of [ALL, ['events.topic.read'], ['travelrequest.write'], ['travelrequest.externalsystemworkflow.write']]) {
        const scope = scopes.join(' ');
        tokens.push({ kind: 'app', scopes, token: await token({ grant_type: 'client_credentials', scope }) });
        tokens.push({ kind: 'company', scopes, token: await companyToken(scope) });
        tokens.push({ kind: 'user', scopes, who: 'traveler', token: await token({ grant_type: 'password', username: people.traveler.loginId, password: people.traveler.password, scope }) });
        tokens.push({ kind: 'user', scopes, who: 'admin', token: await token({ grant_type: 'password', username: server.admin.loginId, password: server.admin.password, scope }) });
      }

      const has = (scopes: string[], scope: string) => scopes.includes(scope);
      const TRW = 'travelrequest.write';
      const EXT = 'travelrequest.externalsystemworkflow.write';
      const ESS = 'events.topic.read';
      type Row = { name: string; call: (who: (typeof tokens)[number]) => Promise<{ method: string; url: string; body?: unknown }> | { method: string; url: string; body?: unknown }; allowed: (kind: Kind, scopes: string[], who?: string) => boolean; refusedWith?: number };
      const rows: Row[] = [
        { name: 'GET /travelrequest/v4/requests', call: () => ({ method: 'GET', url: '/travelrequest/v4/requests' }), allowed: (kind, scopes) => kind !== 'app' && has(scopes, TRW) },
        {
          name: 'POST /travelrequest/v4/requests',
          call: (who) => ({ method: 'POST', url: who.kind === 'company' ? `/travelrequest/v4/requests?userId=${travelerId}` : '/travelrequest/v4/requests', body: { name: 'Scope matrix trip' } }),
          allowed: (kind, scopes) => kind !== 'app' && has(scopes, TRW),
        },
        {
          name: 'GET /travelrequest/v4/requests/{id} (owner\'s user token; company token with no user)',
          call: () => ({ method: 'GET', url: `/travelrequest/v4/requests/${draft}` }),
          allowed: (kind, scopes, who) => (kind === 'company' && (has(scopes, TRW) || has(scopes, EXT))) || (kind === 'user' && who === 'traveler' && has(scopes, TRW)),
        },
        {
          name: 'POST /travelrequest/v4/requests/{id}/approve at External Validation, company token, no user',
          call: async () => ({ method: 'POST', url: `/travelrequest/v4/requests/${await atExternalValidation()}/approve` }),
          allowed: (kind, scopes) => kind === 'company' && has(scopes, EXT),
          // A company token without the external-system scope must name the acting user (Concur: missingRequiredParam).
          refusedWith: 400,
        },
        { name: 'GET /events/v4/topics', call: () => ({ method: 'GET', url: '/events/v4/topics' }), allowed: (kind, scopes) => kind === 'app' && has(scopes, ESS) },
        { name: 'GET /events/v4/subscriptions', call: () => ({ method: 'GET', url: '/events/v4/subscriptions' }), allowed: (kind, scopes) => kind === 'app' && has(scopes, ESS) },
        { name: 'GET /v4/subscriptions', call: () => ({ method: 'GET', url: '/v4/subscriptions' }), allowed: (kind, scopes) => kind === 'app' && has(scopes, ESS) },
        {
          name: 'GET /api/platform/notifications/v1.0/notification?status=FAILED (company token, or a user with the Web Services Administrator role)',
          call: () => ({ method: 'GET', url: '/api/platform/notifications/v1.0/notification?status=FAILED' }),
          allowed: (kind, _scopes, who) => kind === 'company' || (kind === 'user' && who === 'admin'),
        },
        { name: 'DELETE /app-mgmt/v0/connections', call: () => ({ method: 'DELETE', url: '/app-mgmt/v0/connections' }), allowed: (kind) => kind === 'user' },
      ];
      const failures: string[] = [];
      let calls = 0;
      for (const row of rows) {
        for (const who of tokens) {
          if (row.name.includes('at External Validation') && who.kind !== 'company') continue;
          const call = await row.call(who);
          calls++;
          const answer = await send(server.url, call.method, call.url, call.body, { authorization: `Bearer ${who.token}` });
          const allowed = row.allowed(who.kind, who.scopes, who.who);
          const where = `${row.name} with a ${who.kind} token${who.who ? ` (${who.who})` : ''} [${who.scopes.join(' ')}]: ${answer.status} ${answer.text.slice(0, 200)}`;
          if (allowed && !(answer.status >= 200 && answer.status < 300)) failures.push(`refused but allowed: ${where}`);
          if (!allowed) {
            const refusals = [403, ...(row.refusedWith === undefined || has(who.scopes, EXT) ? [] : [row.refusedWith])];
            if (!refusals.includes(answer.status)) failures.push(`not refused (wanted ${refusals.join('/')}): ${where}`);
            else if (answer.status === 403 && !/"errorCode":"(permissionDenied|userIsNotAllowed)"/.test(answer.text)) failures.push(`refused in another shape: ${where}`);
          }
        }
      }
      // Without any token: 401 invalidUser everywhere.
      for (const row of rows) {
        const call = await row.call(tokens[0]!);
        const answer = await send(server.url, call.method, withQuery(call.url, {}), call.body);
        calls++;
        if (answer.status !== 401) failures.push(`no token: ${row.name}: ${answer.status}`);
      }
      t.diagnostic(`${calls} calls: ${rows.length} routes × ${tokens.length} tokens; ${failures.length} failures`);
      assert.deepEqual(failures, [], failures.join('\n'));
    });
  });
}
