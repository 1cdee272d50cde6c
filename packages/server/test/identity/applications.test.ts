/**
 * The admin API for OAuth2 applications, Company Request Tokens and connections, over real HTTP, on
 * SQLite and PostgreSQL: only operators manage applications, the client secret is shown once and
 * stored hashed, rotating it retires the old one at once, and one company's users never reach another
 * company's request tokens or connections.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../support/server.ts';
import { anonymous, signIn, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import { ALL_GRANTS, REDIRECT_URI, TOPIC_READ, WRITE, appToken, assertOAuthError, companyToken, createApp, createRequestToken, ok, snapshotCredentials, startIdentityServer, token } from './helpers.ts';

const NEW_APP = { name: 'Partner app', grants: [...ALL_GRANTS], scopes: [TOPIC_READ, WRITE], redirectUris: [REDIRECT_URI] };

for (const { kind, skip } of await storeSuites()) {
  describe(`applications admin API [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let operator: ApiClient;
    let admin: ApiClient;

    before(async () => {
      ({ server, operator, admin } = await startIdentityServer(kind));
    });
    after(async () => server?.close());

    test('only operators manage applications: a company admin gets 403, no session 401, and nothing changes', async () => {
      const app = await createApp(operator);
      const before = await snapshotCredentials(server);
      const calls: Array<[string, string, unknown?]> = [
        ['GET', '/api/applications'],
        ['POST', '/api/applications', NEW_APP],
        ['GET', `/api/applications/${app.id}`],
        ['PATCH', `/api/applications/${app.id}`, { active: false }],
        ['PATCH', `/api/applications/${app.id}`, { scopes: [TOPIC_READ, WRITE, 'company.write'] }],
        ['POST', `/api/applications/${app.id}/secret`],
        ['POST', '/api/signing-keys/rotate'],
      ];
      for (const [method, path, body] of calls) {
        const refused = await admin.request(method, path, body);
        assert.equal(refused.status, 403, `${method} ${path}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.code, 'permission_denied');
        assert.ok(!JSON.stringify(refused.body).includes(app.secret));
        assert.equal((await anonymous(server.url).request(method, path, body)).status, 401, `${method} ${path} without a session`);
      }
      assert.deepEqual(await snapshotCredentials(server), before, 'refused calls changed nothing');
      ok(await token(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret }));
    });

    test('the client secret is returned once on creation, never by GET, and stored only as a hash', async () => {
      const created = await operator.post('/api/applications', NEW_APP);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const secret: string = created.body.clientSecret;
      assert.equal(typeof secret, 'string');
      assert.ok(secret.length >= 32, 'the secret is long');
      const application = created.body.application;
      assert.match(application.id, /^[0-9a-f-]{36}$/);
      assert.equal(application.name, 'Partner app');
      assert.deepEqual(application.grants, NEW_APP.grants);
      assert.deepEqual(application.scopes, NEW_APP.scopes);
      assert.deepEqual(application.redirectUris, NEW_APP.redirectUris);
      assert.equal(application.active, true);

      const row = await server.patchbay.store.db.selectFrom('applications').selectAll().where('id', '=', application.id).executeTakeFirstOrThrow();
      assert.notEqual(row.client_secret_hash, secret);
      assert.ok(!row.client_secret_hash.includes(secret), 'the stored hash is not the secret');

      const one = await operator.get(`/api/applications/${application.id}`);
      const list = await operator.get('/api/applications');
      assert.equal(one.status, 200);
      assert.equal(list.status, 200);
      assert.deepEqual(one.body, application);
      assert.ok(list.body.items.some((item: any) => item.id === application.id));
      for (const body of [one.body, list.body, ...list.body.items]) {
        const text = JSON.stringify(body);
        assert.ok(!text.includes(secret), 'GET never shows the secret');
        assert.ok(!text.includes(row.client_secret_hash), 'GET never shows the hash');
        assert.ok(!/secret/i.test(Object.keys(body).join(' ')), `no secret field in ${text.slice(0, 100)}`);
      }
      ok(await token(server.url, { grant_type: 'client_credentials', client_id: application.id, client_secret: secret }));
    });

    test('rotating the secret returns the new one once; the old one fails at once with 401 invalid_client 64', async () => {
      const app = await createApp(operator);
      const issued = await appToken(server.url, app);
      const rotated = await operator.post(`/api/applications/${app.id}/secret`);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.deepEqual(Object.keys(rotated.body), ['clientSecret']);
      const fresh: string = rotated.body.clientSecret;
      assert.notEqual(fresh, app.secret);
      assertOAuthError(await token(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret }), 401, 'invalid_client', 64);
      ok(await token(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: fresh }));
      const shown = await operator.get(`/api/applications/${app.id}`);
      assert.ok(!JSON.stringify(shown.body).includes(fresh));
      // Access tokens issued before the rotation are the app's, not the secret's: they keep working.
      const topics = await fetch(`${server.url}/events/v4/topics`, { headers: { authorization: `Bearer ${issued.access_token}` } });
      assert.equal(topics.status, 200);
      assert.equal((await operator.post(`/api/applications/${crypto.randomUUID()}/secret`)).status, 404);
    });

    test('changing an application\'s grants and scopes takes effect at the token endpoint', async () => {
      const app = await createApp(operator, { grants: ['client_credentials'], scopes: [TOPIC_READ] });
      assertOAuthError(await token(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret, scope: WRITE }), 400, 'invalid_scope', 54);
      const changed = await operator.patch(`/api/applications/${app.id}`, { scopes: [TOPIC_READ, WRITE] });
      assert.equal(changed.status, 200);
      assert.deepEqual(changed.body.scopes, [TOPIC_READ, WRITE]);
      assert.equal(ok(await token(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret, scope: WRITE })).scope, WRITE);
      assert.equal((await operator.patch(`/api/applications/${app.id}`, { grants: ['password'] })).status, 200);
      assertOAuthError(await token(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret }), 400, 'unauthorized_client', 60);
    });

    test('bad application input: 400, nothing registered', async () => {
      const before = (await operator.get('/api/applications')).body.items.length;
      const bad: unknown[] = [
        { ...NEW_APP, name: '' },
        { ...NEW_APP, grants: ['implicit'] },
        { ...NEW_APP, scopes: ['has space'] },
        { ...NEW_APP, redirectUris: ['http://app.example.test/callback'] },
        { ...NEW_APP, redirectUris: ['not a url'] },
        { ...NEW_APP, redirectUris: ['https://app.example.test/cb#fragment'] },
        { ...NEW_APP, clientSecret: 'chosen-by-me' },
        { name: 'Missing fields' },
      ];
      for (const body of bad) {
        const answer = await operator.post('/api/applications', body);
        assert.equal(answer.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(answer.body)}`);
      }
      assert.equal((await operator.get('/api/applications')).body.items.length, before);
      // http is allowed for localhost only.
      assert.equal((await operator.post('/api/applications', { ...NEW_APP, name: 'Local', redirectUris: ['http://localhost:3000/callback'] })).status, 201);
    });

    test('Company Request Tokens: the company admin and operators may create them; employees may not', async () => {
      const app = await createApp(operator);
      await createRequestToken(admin, server.companyId, app.id);
      await createRequestToken(operator, server.companyId, app.id);
      const employee = await signIn(server.url, await server.addUser(server.companyId, ['EMPLOYEE']));
      const refused = await employee.post(`/api/companies/${server.companyId}/request-tokens`, { appId: app.id });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'permission_denied');
      assert.equal((await employee.get(`/api/companies/${server.companyId}/connections`)).status, 403);
      assert.equal((await anonymous(server.url).post(`/api/companies/${server.companyId}/request-tokens`, { appId: app.id })).status, 401);
    });

    test('Company Request Tokens need an active application that may use the password grant', async () => {
      const noPassword = await createApp(operator, { grants: ['client_credentials'] });
      assert.equal((await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: noPassword.id })).status, 409);
      const disabled = await createApp(operator);
      await operator.patch(`/api/applications/${disabled.id}`, { active: false });
      assert.equal((await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: disabled.id })).status, 409);
      assert.equal((await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: crypto.randomUUID() })).status, 404);
      assert.equal((await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: 'not-a-uuid' })).status, 400);
      const rows = await server.patchbay.store.db.selectFrom('request_tokens').select('app_id').where('app_id', 'in', [noPassword.id, disabled.id]).execute();
      assert.equal(rows.length, 0, 'no request token was stored');
    });

    test('a company\'s users get 404 for another company\'s request tokens and connections', async () => {
      const app = await createApp(operator);
      await companyToken(server.url, admin, server.companyId, app);
      const other = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
      const before = await snapshotCredentials(server);
      for (const credentials of [other.user, await server.addUser(other.companyId, ['EMPLOYEE'])]) {
        const outsider = await signIn(server.url, credentials);
        const created = await outsider.post(`/api/companies/${server.companyId}/request-tokens`, { appId: app.id });
        assert.equal(created.status, 404, JSON.stringify(created.body));
        assert.equal(created.body.error.code, 'not_found');
        const listed = await outsider.get(`/api/companies/${server.companyId}/connections`);
        assert.equal(listed.status, 404);
        assert.ok(!JSON.stringify(listed.body).includes(app.id));
        assert.equal((await outsider.delete(`/api/companies/${server.companyId}/connections/${app.id}`)).status, 404);
      }
      // And the main company's admin gets 404 for the other company.
      assert.equal((await admin.post(`/api/companies/${other.companyId}/request-tokens`, { appId: app.id })).status, 404);
      assert.equal((await admin.get(`/api/companies/${other.companyId}/connections`)).status, 404);
      assert.deepEqual(await snapshotCredentials(server), before, 'the refused calls changed nothing');
      // The other company's admin manages its own.
      const otherAdmin = await signIn(server.url, other.user);
      await createRequestToken(otherAdmin, other.companyId, app.id);
      assert.deepEqual((await otherAdmin.get(`/api/companies/${other.companyId}/connections`)).body.items, []);
    });
  });
}
