/**
 * Company connections over real HTTP, on SQLite and PostgreSQL: a Company Request Token connects the
 * company once and only once (also when two exchanges race), the admin API lists the connection, and
 * disconnecting revokes the company's access and refresh tokens for good, also after reconnecting.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import {
  assertInvalidToken, assertOAuthError, callProtected, companyForm, companyToken, createApp, createRequestToken, decode, ok, refreshForm,
  startIdentityServer, startOfNextSecond, token, userToken,
} from './helpers.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`company connections [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let operator: ApiClient;
    let admin: ApiClient;

    before(async () => {
      ({ server, operator, admin } = await startIdentityServer(kind));
    });
    after(async () => server?.close());

    const connectedApps = async (client: ApiClient, companyId: string): Promise<string[]> => {
      const response = await client.get(`/api/companies/${companyId}/connections`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.items.map((item: any) => item.appId);
    };

    test('a request token connects the company; the admin API lists the connection', async () => {
      const app = await createApp(operator, { name: 'Expense sync' });
      assert.deepEqual(await connectedApps(admin, server.companyId), []);
      const created = await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: app.id });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.requestToken, /^[0-9a-f-]{36}$/);
      assert.equal(created.body.appId, app.id);
      assert.equal(created.body.companyId, server.companyId);
      const hours = (Date.parse(created.body.expiresAt) - Date.now()) / 3_600_000;
      assert.ok(hours > 23.9 && hours <= 24, `the request token is valid 24 hours (${hours})`);
      const stored = await server.patchbay.store.db.selectFrom('request_tokens').selectAll().where('app_id', '=', app.id).execute();
      assert.equal(stored.length, 1);
      assert.notEqual(stored[0]!.token_hash, created.body.requestToken, 'request tokens are stored hashed');

      // Creating a request token does not connect anything yet.
      assert.deepEqual(await connectedApps(admin, server.companyId), []);
      const body = ok(await token(server.url, companyForm(app, server.companyId, created.body.requestToken)));
      assert.equal((await callProtected(server.url, server.companyId, body.access_token)).status, 200);

      const listed = await admin.get(`/api/companies/${server.companyId}/connections`);
      assert.equal(listed.status, 200);
      assert.equal(listed.body.items.length, 1);
      const [connection] = listed.body.items;
      assert.equal(connection.appId, app.id);
      assert.equal(connection.appName, 'Expense sync');
      assert.ok(Math.abs(Date.parse(connection.connectedAt) - Date.now()) < 300_000);
      assert.equal(typeof connection.connectedBy, 'string');
      assert.ok(connection.connectedBy.length > 0);
      // The operator sees the same.
      assert.deepEqual(await connectedApps(operator, server.companyId), [app.id]);
    });

    test('a request token works once and only once, also when two exchanges race', async () => {
      const app = await createApp(operator);
      for (let round = 0; round < 3; round++) {
        const requestToken = await createRequestToken(admin, server.companyId, app.id);
        const answers = await Promise.all([0, 1, 2].map(() => token(server.url, companyForm(app, server.companyId, requestToken))));
        const succeeded = answers.filter((answer) => answer.status === 200);
        assert.equal(succeeded.length, 1, `exactly one exchange succeeds: ${answers.map((answer) => answer.status).join(', ')}`);
        for (const answer of answers.filter((a) => a.status !== 200)) assertOAuthError(answer, 400, 'invalid_grant', 19);
        assert.equal((await callProtected(server.url, server.companyId, succeeded[0]!.body.access_token)).status, 200);
        assertOAuthError(await token(server.url, companyForm(app, server.companyId, requestToken)), 400, 'invalid_grant', 19);
      }
      const refreshTokens = await server.patchbay.store.db.selectFrom('refresh_tokens').select('token_hash').where('app_id', '=', app.id).execute();
      assert.equal(refreshTokens.length, 3, 'one refresh token per successful exchange');
    });

    test('two different request tokens of a company exchanged at once both connect it, without a 500', async () => {
      // Fresh companies, so each race is over the first connection to the app.
      for (let round = 0; round < 4; round++) {
        const app = await createApp(operator);
        const company = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
        const companyAdmin = await signIn(server.url, company.user);
        const tokens = [await createRequestToken(companyAdmin, company.companyId, app.id), await createRequestToken(companyAdmin, company.companyId, app.id)];
        const answers = await Promise.all(tokens.map((requestToken) => token(server.url, companyForm(app, company.companyId, requestToken))));
        for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(await connectedApps(companyAdmin, company.companyId), [app.id]);
      }
    });

    test('disconnecting by the company admin revokes the company\'s access and refresh tokens', async () => {
      const app = await createApp(operator, { name: 'To disconnect' });
      const user = await server.addUser(server.companyId, ['EMPLOYEE']);
      const first = await companyToken(server.url, admin, server.companyId, app);
      const refreshed = ok(await token(server.url, refreshForm(app, first.refresh_token)));
      const userGrant = await userToken(server.url, app, user);
      const pending = await createRequestToken(admin, server.companyId, app.id);
      assert.ok((await connectedApps(admin, server.companyId)).includes(app.id));

      const removed = await admin.delete(`/api/companies/${server.companyId}/connections/${app.id}`);
      assert.equal(removed.status, 204, JSON.stringify(removed.body));
      assert.ok(!(await connectedApps(admin, server.companyId)).includes(app.id));

      for (const jwt of [first.access_token, refreshed.access_token]) {
        const answer = await callProtected(server.url, server.companyId, jwt);
        assertInvalidToken(answer);
        assert.match(answer.body.errors[0].errorMessage, /no longer connected/);
      }
      assertOAuthError(await token(server.url, refreshForm(app, first.refresh_token)), 400, 'invalid_grant', 108);
      const rows = await server.patchbay.store.db.selectFrom('refresh_tokens').selectAll().where('app_id', '=', app.id).where('principal_type', '=', 'company').execute();
      assert.ok(rows.length > 0 && rows.every((row) => row.revoked_at !== null), 'the company refresh tokens are revoked');

      // A user's own grant to the app is not the company's connection.
      assert.equal((await callProtected(server.url, server.companyId, userGrant.access_token)).status, 200);
      ok(await token(server.url, refreshForm(app, userGrant.refresh_token)));

      // Disconnecting again finds nothing.
      assert.equal((await admin.delete(`/api/companies/${server.companyId}/connections/${app.id}`)).status, 404);

      // A request token made before the disconnection still connects (it is valid 24 hours).
      const reconnected = ok(await token(server.url, companyForm(app, server.companyId, pending)));
      assert.equal((await callProtected(server.url, server.companyId, reconnected.access_token)).status, 200);
    });

    test('after reconnecting with a new request token, the old access and refresh tokens stay revoked', async () => {
      const app = await createApp(operator, { name: 'Reconnect' });
      // Connect, disconnect and reconnect within one second: the old token must stay revoked anyway.
      await startOfNextSecond();
      const old = await companyToken(server.url, admin, server.companyId, app);
      assert.equal((await callProtected(server.url, server.companyId, old.access_token)).status, 200);
      assert.equal((await admin.delete(`/api/companies/${server.companyId}/connections/${app.id}`)).status, 204);
      assertInvalidToken(await callProtected(server.url, server.companyId, old.access_token));

      const fresh = await companyToken(server.url, admin, server.companyId, app);
      assert.notEqual(fresh.refresh_token, old.refresh_token);
      assert.equal((await callProtected(server.url, server.companyId, fresh.access_token)).status, 200, 'the new connection works');
      ok(await token(server.url, refreshForm(app, fresh.refresh_token)));
      assert.deepEqual((await connectedApps(admin, server.companyId)).filter((id) => id === app.id), [app.id]);

      assertOAuthError(await token(server.url, refreshForm(app, old.refresh_token)), 400, 'invalid_grant', 108);
      const stale = await callProtected(server.url, server.companyId, old.access_token);
      assertInvalidToken(stale);
      assert.equal(decode(old.access_token).payload['concur.company'], server.companyId);
    });

    test('disconnecting needs the company admin of that company; the operator may too', async () => {
      const app = await createApp(operator);
      await companyToken(server.url, admin, server.companyId, app);
      const other = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
      const otherAdmin = await signIn(server.url, other.user);
      assert.equal((await otherAdmin.delete(`/api/companies/${server.companyId}/connections/${app.id}`)).status, 404);
      const employee = await signIn(server.url, await server.addUser(server.companyId, ['EMPLOYEE']));
      assert.equal((await employee.delete(`/api/companies/${server.companyId}/connections/${app.id}`)).status, 403);
      assert.ok((await connectedApps(admin, server.companyId)).includes(app.id), 'refused attempts left the connection');
      assert.equal((await operator.delete(`/api/companies/${server.companyId}/connections/${app.id}`)).status, 204);
      assert.ok(!(await connectedApps(admin, server.companyId)).includes(app.id));
      assert.equal((await admin.delete(`/api/companies/${server.companyId}/connections/${crypto.randomUUID()}`)).status, 404);
    });
  });
}
