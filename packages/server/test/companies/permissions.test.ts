/**
 * Who may manage connectors (the seed's permission rules), what operators alone may do, and tenant
 * isolation: one company's users never see or touch another company's data. SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { anonymous, signIn, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import type { Edition } from '../../src/companies/companies.ts';
import type { Role } from '../../src/identity/principal.ts';

const CONNECTOR = { name: 'Directory', description: '', hostName: 'https://connector.example.com', userName: 'user-name-ok', password: 'password-ok' };

for (const { kind, skip } of await storeSuites()) {
  describe(`permissions and tenant isolation [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let operator: ApiClient;

    before(async () => {
      server = await startTestServer({ database: await kind.create() });
      operator = await signIn(server.url, server.operator);
    });
    after(async () => server?.close());

    const rules: Array<{ edition: Edition; developmentPartner: boolean; roles: Role[]; allowed: boolean; missing?: RegExp }> = [
      { edition: 'STANDARD', developmentPartner: false, roles: ['CAN_ADMINISTER'], allowed: true },
      { edition: 'STANDARD', developmentPartner: false, roles: ['EMPLOYEE'], allowed: false, missing: /Can Administer/ },
      { edition: 'STANDARD', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'], allowed: false, missing: /Can Administer/ },
      { edition: 'DEVELOPER_SANDBOX', developmentPartner: false, roles: ['CAN_ADMINISTER'], allowed: true },
      { edition: 'DEVELOPER_SANDBOX', developmentPartner: false, roles: ['EXPENSE_ADMIN'], allowed: false, missing: /Can Administer/ },
      { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'], allowed: true },
      { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['EXPENSE_ADMIN'], allowed: true },
      { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['REQUEST_ADMIN'], allowed: true },
      { edition: 'PROFESSIONAL', developmentPartner: true, roles: ['CAN_ADMINISTER', 'EMPLOYEE'], allowed: false, missing: /Web Services Administrator/ },
      { edition: 'PROFESSIONAL', developmentPartner: false, roles: ['WEB_SERVICES_ADMINISTRATOR'], allowed: false, missing: /Development Partner/ },
      { edition: 'PROFESSIONAL', developmentPartner: false, roles: ['COMPANY_ADMIN'], allowed: false, missing: /Development Partner/ },
    ];
    for (const rule of rules) {
      test(`${rule.edition}${rule.developmentPartner ? ' (Development Partner)' : ''} with ${rule.roles.join('+')}: ${rule.allowed ? 'may' : 'may not'} manage connectors`, async () => {
        const { companyId, user } = await server.addCompany(rule);
        const client = await signIn(server.url, user);
        const session = await client.get('/api/session');
        assert.equal(session.body.permissions.manageConnectors, rule.allowed);
        const created = await client.post(`/api/companies/${companyId}/connectors`, CONNECTOR);
        const listed = await client.get(`/api/companies/${companyId}/connectors`);
        if (rule.allowed) {
          assert.equal(created.status, 201);
          assert.equal(listed.status, 200);
        } else {
          assert.equal(created.status, 403);
          assert.equal(created.body.error.code, 'permission_denied');
          assert.match(created.body.error.message, rule.missing!);
          assert.equal(listed.status, 403);
          const asOperator = await operator.get(`/api/companies/${companyId}/connectors`);
          assert.equal(asOperator.body.items.length, 0, 'a refused request stored nothing');
        }
      });
    }

    test('platform operators manage companies, users and safe lists; company users cannot', async () => {
      const created = await operator.post('/api/companies', { name: 'Acme', edition: 'STANDARD', developmentPartner: false, entityId: 'p0acme001' });
      assert.equal(created.status, 201);
      assert.equal(created.body.entityId, 'p0acme001');
      const duplicate = await operator.post('/api/companies', { name: 'Acme 2', edition: 'STANDARD', developmentPartner: false, entityId: 'p0acme001' });
      assert.equal(duplicate.status, 409);
      const badEntity = await operator.post('/api/companies', { name: 'Bad', edition: 'STANDARD', developmentPartner: false, entityId: 'x12' });
      assert.equal(badEntity.status, 400);
      assert.equal(badEntity.body.error.field, 'entityId');
      const user = await operator.post(`/api/companies/${created.body.id}/users`, { loginId: 'pat@acme.test', name: 'Pat', password: 'long-enough-password', roles: ['CAN_ADMINISTER'] });
      assert.equal(user.status, 201);
      assert.ok(!JSON.stringify(user.body).includes('long-enough-password'));
      const safe = await operator.post(`/api/companies/${created.body.id}/safe-list`, { host: 'Connector.Acme.test' });
      assert.equal(safe.status, 201);
      assert.equal(safe.body.host, 'connector.acme.test');
      const badHost = await operator.post(`/api/companies/${created.body.id}/safe-list`, { host: 'https://connector.acme.test/path' });
      assert.equal(badHost.status, 400);
      assert.equal(badHost.body.error.field, 'host');

      const pat = await signIn(server.url, { loginId: 'PAT@acme.test', password: 'long-enough-password' });
      assert.equal((await pat.get(`/api/companies/${created.body.id}/safe-list`)).body.items[0].host, 'connector.acme.test');
      for (const [method, path, body] of [
        ['POST', '/api/companies', { name: 'Mine', edition: 'STANDARD', developmentPartner: false }],
        ['PATCH', `/api/companies/${created.body.id}`, { developmentPartner: true }],
        ['POST', `/api/companies/${created.body.id}/users`, { loginId: 'x@acme.test', name: 'X', password: 'long-enough-password', roles: ['CAN_ADMINISTER'] }],
        ['GET', `/api/companies/${created.body.id}/users`, undefined],
        ['POST', `/api/companies/${created.body.id}/safe-list`, { host: 'evil.example' }],
        ['DELETE', `/api/companies/${created.body.id}/safe-list/connector.acme.test`, undefined],
      ] as const) {
        const response = await pat.request(method, path, body);
        assert.equal(response.status, 403, `${method} ${path}`);
        assert.match(response.body.error.message, /platform operator/);
      }
      assert.equal((await operator.get(`/api/companies/${created.body.id}/safe-list`)).body.items.length, 1);
      assert.equal((await operator.delete(`/api/companies/${created.body.id}/safe-list/connector.acme.test`)).status, 204);
      assert.equal((await operator.get(`/api/companies/${created.body.id}`)).body.developmentPartner, false);
    });

    test('a company\'s users get 404 for every route of another company, and its data stays unchanged', async () => {
      const a = await server.addCompany({ edition: 'STANDARD', developmentPartner: false, roles: ['CAN_ADMINISTER'] });
      const b = await server.addCompany({ edition: 'STANDARD', developmentPartner: false, roles: ['CAN_ADMINISTER'] });
      const clientA = await signIn(server.url, a.user);
      const clientB = await signIn(server.url, b.user);
      const connector = (await clientA.post(`/api/companies/${a.companyId}/connectors`, CONNECTOR)).body;
      const snapshot = JSON.stringify((await clientA.get(`/api/companies/${a.companyId}/connectors/${connector.id}`)).body);
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/api/companies/${a.companyId}`],
        ['GET', `/api/companies/${a.companyId}/safe-list`],
        ['GET', `/api/companies/${a.companyId}/connectors`],
        ['POST', `/api/companies/${a.companyId}/connectors`, CONNECTOR],
        ['GET', `/api/companies/${a.companyId}/connectors/${connector.id}`],
        ['PATCH', `/api/companies/${a.companyId}/connectors/${connector.id}`, { name: 'stolen' }],
        ['DELETE', `/api/companies/${a.companyId}/connectors/${connector.id}`],
        ['POST', `/api/companies/${a.companyId}/connectors/${connector.id}/test-connection`],
        ['PUT', `/api/companies/${a.companyId}/connectors/${connector.id}/services/fetch-attendee`, { endpoint: '/x', active: true }],
        ['POST', `/api/companies/${a.companyId}/connectors/${connector.id}/deactivate`],
        ['GET', `/api/companies/${a.companyId}/connectors/${connector.id}/audit`],
        // Company A's connector through company B's own path: still not found.
        ['GET', `/api/companies/${b.companyId}/connectors/${connector.id}`],
        ['PATCH', `/api/companies/${b.companyId}/connectors/${connector.id}`, { name: 'stolen' }],
      ];
      for (const [method, path, body] of routes) {
        const response = await clientB.request(method, path, body);
        assert.equal(response.status, 404, `${method} ${path} → ${response.status}`);
        assert.deepEqual(Object.keys(response.body), ['error'], `${method} ${path} answered more than an error`);
        assert.equal(response.body.error.code, 'not_found');
      }
      assert.deepEqual((await clientB.get('/api/companies')).body.items.map((c: any) => c.id), [b.companyId]);
      assert.equal(JSON.stringify((await clientA.get(`/api/companies/${a.companyId}/connectors/${connector.id}`)).body), snapshot);
    });

    test('without a session or token every admin route answers 401', async () => {
      const nobody = anonymous(server.url);
      for (const path of ['/api/session', '/api/companies', `/api/companies/${server.companyId}/connectors`]) {
        const response = await nobody.get(path);
        assert.equal(response.status, 401, path);
        assert.equal(response.body.error.code, 'unauthenticated');
      }
      const forged = anonymous(server.url, { authorization: 'Bearer pbt_forgedforgedforgedforgedforged' });
      assert.equal((await forged.get('/api/companies')).status, 401);
      const wrong = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId: server.admin.loginId, password: 'wrong-password' }) });
      assert.equal(wrong.status, 401);
      assert.equal(((await wrong.json()) as any).error.code, 'invalid_credentials');
    });

    test('operator API tokens authenticate automation without a session or CSRF token', async () => {
      const created = await operator.post('/api/tokens', { label: 'ci' });
      assert.equal(created.status, 201);
      assert.match(created.body.token, /^pbt_/);
      const bot = anonymous(server.url, { authorization: `Bearer ${created.body.token}` });
      const company = await bot.post('/api/companies', { name: 'Automated', edition: 'DEVELOPER_SANDBOX', developmentPartner: false });
      assert.equal(company.status, 201);
      const admin = await signIn(server.url, server.admin);
      assert.equal((await admin.post('/api/tokens', { label: 'mine' })).status, 403);
      const stored = await server.patchbay.store.db.selectFrom('api_tokens').select('token_hash').execute();
      assert.ok(stored.every((row) => row.token_hash !== created.body.token));
    });

    test('signing out ends the session', async () => {
      const admin = await signIn(server.url, server.admin);
      assert.equal((await admin.delete('/api/session')).status, 204);
      assert.equal((await admin.get('/api/session')).status, 401);
    });
  });
}
