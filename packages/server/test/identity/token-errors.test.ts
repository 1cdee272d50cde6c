/**
 * Bad input at `POST /oauth2/v0/token`, over real HTTP, on SQLite and PostgreSQL: each case gets its
 * exact HTTP status, OAuth2 `error` and Concur's numeric `code`, never a 500, and a failed attempt
 * changes nothing (a request token, code or refresh token is consumed only by a successful exchange).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { hashToken } from '../../src/security/tokens.ts';
import { storeSuites } from '../support/stores.ts';
import {
  REDIRECT_URI, TOPIC_READ, WRITE, assertOAuthError, authorizationCode, callProtected, codeForm, companyForm, createApp, createRequestToken,
  ok, postToken, refreshForm, snapshotCredentials, startIdentityServer, token, userToken, type TestApp,
} from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';

for (const { kind, skip } of await storeSuites()) {
  describe(`token endpoint bad input [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let operator: ApiClient;
    let admin: ApiClient;
    let app: TestApp;
    let otherApp: TestApp;
    let user: { loginId: string; password: string };
    let otherCompany: { companyId: string; user: { loginId: string; password: string } };
    let otherAdmin: ApiClient;

    before(async () => {
      ({ server, operator, admin } = await startIdentityServer(kind));
      app = await createApp(operator, { name: 'Main app' });
      otherApp = await createApp(operator, { name: 'Other app' });
      user = await server.addUser(server.companyId, ['EMPLOYEE']);
      otherCompany = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
      otherAdmin = await signIn(server.url, otherCompany.user);
    });
    after(async () => server?.close());

    const clientCredentials = (extra: Record<string, string> = {}): Record<string, string> => ({ grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret, ...extra });
    const without = (params: Record<string, string>, name: string): Record<string, string> => Object.fromEntries(Object.entries(params).filter(([key]) => key !== name));

    test('missing grant_type: 400 invalid_request 65', async () => {
      assertOAuthError(await token(server.url, without(clientCredentials(), 'grant_type')), 400, 'invalid_request', 65);
      assertOAuthError(await token(server.url, clientCredentials({ grant_type: '' })), 400, 'invalid_request', 65);
    });

    test('unknown grant_type: 400 unsupported_grant_type', async () => {
      for (const grant of ['implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'CLIENT_CREDENTIALS', 'constructor', '__proto__']) {
        assertOAuthError(await token(server.url, clientCredentials({ grant_type: grant })), 400, 'unsupported_grant_type');
      }
    });

    test('missing client_id: 400 invalid_request 62; missing client_secret: 400 invalid_request 63', async () => {
      assertOAuthError(await token(server.url, without(clientCredentials(), 'client_id')), 400, 'invalid_request', 62);
      assertOAuthError(await token(server.url, without(clientCredentials(), 'client_secret')), 400, 'invalid_request', 63);
      assertOAuthError(await token(server.url, clientCredentials({ client_secret: '' })), 400, 'invalid_request', 63);
    });

    test('unknown client: 401 invalid_client 61', async () => {
      for (const clientId of [crypto.randomUUID(), 'not-a-uuid', `${app.id}x`]) {
        assertOAuthError(await token(server.url, clientCredentials({ client_id: clientId })), 401, 'invalid_client', 61);
      }
    });

    test('wrong client secret: 401 invalid_client 64 (also another app\'s secret)', async () => {
      for (const secret of ['wrong', `${app.secret}x`, app.secret.slice(0, -1), otherApp.secret, app.secret.toUpperCase()]) {
        assertOAuthError(await token(server.url, clientCredentials({ client_secret: secret })), 401, 'invalid_client', 64);
      }
      // The client id is not case-sensitive (a UUID), the secret is.
      ok(await token(server.url, clientCredentials({ client_id: app.id.toUpperCase() })));
    });

    test('disabled application: 403 access_denied 59, for every grant', async () => {
      const disabled = await createApp(operator, { name: 'Disabled app' });
      const requestToken = await createRequestToken(admin, server.companyId, disabled.id);
      const code = await authorizationCode(server, disabled.id, user.loginId);
      const refresh = (await userToken(server.url, disabled, user)).refresh_token;
      assert.equal((await operator.patch(`/api/applications/${disabled.id}`, { active: false })).status, 200);
      assertOAuthError(await token(server.url, { grant_type: 'client_credentials', client_id: disabled.id, client_secret: disabled.secret }), 403, 'access_denied', 59);
      assertOAuthError(await token(server.url, companyForm(disabled, server.companyId, requestToken)), 403, 'access_denied', 59);
      assertOAuthError(await token(server.url, { grant_type: 'password', client_id: disabled.id, client_secret: disabled.secret, username: user.loginId, password: user.password }), 403, 'access_denied', 59);
      assertOAuthError(await token(server.url, codeForm(disabled, code)), 403, 'access_denied', 59);
      assertOAuthError(await token(server.url, refreshForm(disabled, refresh)), 403, 'access_denied', 59);
      // A wrong secret is still a wrong secret.
      assertOAuthError(await token(server.url, { grant_type: 'client_credentials', client_id: disabled.id, client_secret: 'wrong' }), 401, 'invalid_client', 64);
      // Enabled again, the credentials it could not use are still good.
      assert.equal((await operator.patch(`/api/applications/${disabled.id}`, { active: true })).status, 200);
      ok(await token(server.url, companyForm(disabled, server.companyId, requestToken)));
      ok(await token(server.url, codeForm(disabled, code)));
      ok(await token(server.url, refreshForm(disabled, refresh)));
    });

    test('a grant the application may not use: 400 unauthorized_client 60', async () => {
      const clientOnly = await createApp(operator, { name: 'Client credentials only', grants: ['client_credentials'] });
      const code = await authorizationCode(server, clientOnly.id, user.loginId);
      assertOAuthError(await token(server.url, { grant_type: 'password', client_id: clientOnly.id, client_secret: clientOnly.secret, username: user.loginId, password: user.password }), 400, 'unauthorized_client', 60);
      assertOAuthError(await token(server.url, codeForm(clientOnly, code)), 400, 'unauthorized_client', 60);
      assertOAuthError(await token(server.url, refreshForm(clientOnly, crypto.randomUUID())), 400, 'unauthorized_client', 60);
      const passwordOnly = await createApp(operator, { name: 'Password only', grants: ['password'] });
      assertOAuthError(await token(server.url, { grant_type: 'client_credentials', client_id: passwordOnly.id, client_secret: passwordOnly.secret }), 400, 'unauthorized_client', 60);
    });

    test('a scope beyond the application\'s: 400 invalid_scope 54, for every grant', async () => {
      assertOAuthError(await token(server.url, clientCredentials({ scope: 'company.write' })), 400, 'invalid_scope', 54);
      assertOAuthError(await token(server.url, clientCredentials({ scope: `${TOPIC_READ} company.write` })), 400, 'invalid_scope', 54);
      const requestToken = await createRequestToken(admin, server.companyId, app.id);
      assertOAuthError(await token(server.url, companyForm(app, server.companyId, requestToken, { scope: 'company.write' })), 400, 'invalid_scope', 54);
      assertOAuthError(await token(server.url, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: user.loginId, password: user.password, scope: 'company.write' }), 400, 'invalid_scope', 54);
      const code = await authorizationCode(server, app.id, user.loginId);
      assertOAuthError(await token(server.url, codeForm(app, code, { scope: 'company.write' })), 400, 'invalid_scope', 54);
      const refresh = (await userToken(server.url, app, user, WRITE)).refresh_token;
      assertOAuthError(await token(server.url, refreshForm(app, refresh, { scope: TOPIC_READ })), 400, 'invalid_scope', 54);
      // None of them was consumed by the refusal.
      ok(await token(server.url, companyForm(app, server.companyId, requestToken)));
      ok(await token(server.url, codeForm(app, code)));
      assert.equal(ok(await token(server.url, refreshForm(app, refresh))).scope, WRITE);
    });

    test('password grant: wrong password, unknown login and operator credentials: 400 invalid_grant 5; missing fields 51/52; bad credtype 120', async () => {
      const form = (username: string, password: string, extra: Record<string, string> = {}): Record<string, string> => ({ grant_type: 'password', client_id: app.id, client_secret: app.secret, username, password, ...extra });
      assertOAuthError(await token(server.url, form(user.loginId, 'wrong-password')), 400, 'invalid_grant', 5);
      assertOAuthError(await token(server.url, form(user.loginId, `${user.password} `)), 400, 'invalid_grant', 5);
      assertOAuthError(await token(server.url, form('nobody@example.test', user.password)), 400, 'invalid_grant', 5);
      assertOAuthError(await token(server.url, form(server.operator.loginId, server.operator.password)), 400, 'invalid_grant', 5);
      assertOAuthError(await token(server.url, without(form(user.loginId, user.password), 'username')), 400, 'invalid_request', 51);
      assertOAuthError(await token(server.url, without(form(user.loginId, user.password), 'password')), 400, 'invalid_request', 52);
      assertOAuthError(await token(server.url, form(user.loginId, user.password, { credtype: 'saml' })), 400, 'invalid_request', 120);
    });

    test('a login ID with odd characters is just a wrong login: 400 invalid_grant 5; a NUL anywhere is malformed input: 400 invalid_request; never 500', async () => {
      for (const username of ['x'.repeat(10_000), '\ud800', '%00', "' OR '1'='1"]) {
        assertOAuthError(await token(server.url, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username, password: user.password }), 400, 'invalid_grant', 5);
      }
      for (const username of [`${user.loginId}\u0000`, 'a\u0000b@example.test', '\u0000']) {
        assertOAuthError(await token(server.url, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username, password: user.password }), 400, 'invalid_request', 400);
      }
    });

    test('console sign-in with a NUL in the login ID: 400 validation_failed, never 500', async () => {
      const signInAnswer = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId: `${user.loginId}\u0000`, password: user.password }) });
      const body = await signInAnswer.text();
      assert.equal(signInAnswer.status, 400, body);
      assert.equal(JSON.parse(body).error.code, 'validation_failed');
    });

    test('a reused request token: 400 invalid_grant 19', async () => {
      const requestToken = await createRequestToken(admin, server.companyId, app.id);
      ok(await token(server.url, companyForm(app, server.companyId, requestToken)));
      assertOAuthError(await token(server.url, companyForm(app, server.companyId, requestToken)), 400, 'invalid_grant', 19);
    });

    test('an expired request token: 400 invalid_grant 19', async () => {
      const requestToken = await createRequestToken(admin, server.companyId, app.id);
      const row = await server.patchbay.store.db.selectFrom('request_tokens').select(['token_hash', 'created_at', 'expires_at']).where('used_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      assert.equal(row.expires_at - row.created_at, 24 * 3_600_000, 'request tokens live 24 hours');
      await server.patchbay.store.db.updateTable('request_tokens').set({ expires_at: Date.now() - 1000 }).where('token_hash', '=', row.token_hash).execute();
      assertOAuthError(await token(server.url, companyForm(app, server.companyId, requestToken)), 400, 'invalid_grant', 19);
    });

    test('unknown request token, or username not a company UUID: 400 invalid_grant 19; missing password: 400 invalid_request 52', async () => {
      assertOAuthError(await token(server.url, companyForm(app, server.companyId, crypto.randomUUID())), 400, 'invalid_grant', 19);
      const requestToken = await createRequestToken(admin, server.companyId, app.id);
      assertOAuthError(await token(server.url, companyForm(app, 'acme-corp', requestToken)), 400, 'invalid_grant', 19);
      assertOAuthError(await token(server.url, without(companyForm(app, server.companyId, requestToken), 'password')), 400, 'invalid_request', 52);
      assertOAuthError(await token(server.url, without(companyForm(app, server.companyId, requestToken), 'username')), 400, 'invalid_request', 51);
      // The company UUID is not case-sensitive.
      ok(await token(server.url, companyForm(app, server.companyId.toUpperCase(), requestToken)));
    });

    test('a request token of another company: 400 invalid_grant 19; one issued for another app: 400 invalid_grant 105', async () => {
      const theirs = await createRequestToken(otherAdmin, otherCompany.companyId, app.id);
      assertOAuthError(await token(server.url, companyForm(app, server.companyId, theirs)), 400, 'invalid_grant', 19);
      const forOther = await createRequestToken(admin, server.companyId, otherApp.id);
      assertOAuthError(await token(server.url, companyForm(app, server.companyId, forOther)), 400, 'invalid_grant', 105);
      // Neither was consumed: each works for its own company and app.
      ok(await token(server.url, companyForm(app, otherCompany.companyId, theirs)));
      ok(await token(server.url, companyForm(otherApp, server.companyId, forOther)));
    });

    test('a reused, expired or unknown authorization code: 400 invalid_grant 103; missing code 101, missing redirect_uri 102', async () => {
      const code = await authorizationCode(server, app.id, user.loginId);
      ok(await token(server.url, codeForm(app, code)));
      assertOAuthError(await token(server.url, codeForm(app, code)), 400, 'invalid_grant', 103);

      const expiring = await authorizationCode(server, app.id, user.loginId);
      const row = await server.patchbay.store.db.selectFrom('authorization_codes').select(['code_hash', 'created_at', 'expires_at']).where('used_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      assert.ok(row.expires_at - row.created_at <= 10 * 60_000, 'codes are short-lived');
      await server.patchbay.store.db.updateTable('authorization_codes').set({ expires_at: Date.now() - 1000 }).where('code_hash', '=', row.code_hash).execute();
      assertOAuthError(await token(server.url, codeForm(app, expiring)), 400, 'invalid_grant', 103);

      assertOAuthError(await token(server.url, codeForm(app, crypto.randomUUID())), 400, 'invalid_grant', 103);
      assertOAuthError(await token(server.url, without(codeForm(app, 'x'), 'code')), 400, 'invalid_request', 101);
      assertOAuthError(await token(server.url, without(codeForm(app, 'x'), 'redirect_uri')), 400, 'invalid_request', 102);
    });

    test('a wrong redirect_uri: 400 invalid_grant 104, and the code is not consumed', async () => {
      const code = await authorizationCode(server, app.id, user.loginId);
      for (const redirect of ['https://evil.example.test/oauth/callback', `${REDIRECT_URI}/`, `${REDIRECT_URI}?x=1`, REDIRECT_URI.toUpperCase()]) {
        assertOAuthError(await token(server.url, codeForm(app, code, { redirect_uri: redirect })), 400, 'invalid_grant', 104);
      }
      const body = ok(await token(server.url, codeForm(app, code)));
      assert.equal((await callProtected(server.url, server.companyId, body.access_token)).status, 200);
      assertOAuthError(await token(server.url, codeForm(app, code)), 400, 'invalid_grant', 103);
    });

    test('a code issued to another app: 400 invalid_grant 105, and the code is not consumed', async () => {
      const code = await authorizationCode(server, app.id, user.loginId);
      assertOAuthError(await token(server.url, codeForm(otherApp, code)), 400, 'invalid_grant', 105);
      ok(await token(server.url, codeForm(app, code)));
    });

    test('a bad refresh token: 400 invalid_grant 108; missing: 106; another app\'s: 105', async () => {
      assertOAuthError(await token(server.url, refreshForm(app, crypto.randomUUID())), 400, 'invalid_grant', 108);
      assertOAuthError(await token(server.url, refreshForm(app, 'not-a-token')), 400, 'invalid_grant', 108);
      assertOAuthError(await token(server.url, without(refreshForm(app, 'x'), 'refresh_token')), 400, 'invalid_request', 106);
      const refresh = (await userToken(server.url, app, user)).refresh_token;
      assertOAuthError(await token(server.url, refreshForm(otherApp, refresh)), 400, 'invalid_grant', 105);
      // An access token is not a refresh token.
      const access = (await userToken(server.url, app, user)).access_token;
      assertOAuthError(await token(server.url, refreshForm(app, access)), 400, 'invalid_grant', 108);

      const expiring = (await userToken(server.url, app, user)).refresh_token;
      await server.patchbay.store.db.updateTable('refresh_tokens').set({ expires_at: Date.now() - 1000 }).where('token_hash', '=', hashToken(expiring)).execute();
      assertOAuthError(await token(server.url, refreshForm(app, expiring)), 400, 'invalid_grant', 108);
      ok(await token(server.url, refreshForm(app, refresh)));
    });

    test('a JSON body, even one carrying valid credentials: 400 invalid_request, no token', async () => {
      const answer = await postToken(server.url, JSON.stringify(clientCredentials()), 'application/json');
      assertOAuthError(answer, 400, 'invalid_request');
      assertOAuthError(await postToken(server.url, '{"grant_type":', 'application/json'), 400, 'invalid_request');
      assertOAuthError(await postToken(server.url, '["client_credentials"]', 'application/json'), 400, 'invalid_request');
      assertOAuthError(await postToken(server.url, JSON.stringify({ ...clientCredentials(), scope: [TOPIC_READ] }), 'application/json'), 400, 'invalid_request');
    });

    test('a repeated parameter: 400 invalid_request, whichever parameter it is', async () => {
      const base = new URLSearchParams(clientCredentials({ scope: TOPIC_READ })).toString();
      ok(await postToken(server.url, base));
      for (const repeat of ['grant_type=client_credentials', 'grant_type=password', `client_id=${app.id}`, `client_secret=${app.secret}`, `scope=${TOPIC_READ}`, `scope=${WRITE}`, 'scope=']) {
        assertOAuthError(await postToken(server.url, `${base}&${repeat}`), 400, 'invalid_request');
      }
    });

    test('parameters named like Object.prototype members are ordinary unknown parameters', async () => {
      const base = new URLSearchParams(clientCredentials()).toString();
      for (const extra of ['__proto__=x', '__proto__[grant_type]=password', 'constructor=x', 'hasOwnProperty=x', 'toString=1', 'valueOf=', 'redirect_uri=https://ignored.example.test/']) {
        ok(await postToken(server.url, `${base}&${extra}`));
      }
      assertOAuthError(await postToken(server.url, `${base}&__proto__=a&__proto__=b`), 400, 'invalid_request');
      assertOAuthError(await postToken(server.url, `__proto__=client_credentials&client_id=${app.id}&client_secret=${app.secret}`), 400, 'invalid_request', 65);
      assertOAuthError(await postToken(server.url, `grant_type=toString&client_id=${app.id}&client_secret=${app.secret}`), 400, 'unsupported_grant_type');
      assertOAuthError(await postToken(server.url, `grant_type=password&credtype=authtoken&client_id=${app.id}&client_secret=${app.secret}&username=${server.companyId}&password=constructor`), 400, 'invalid_grant', 19);
    });

    test('an oversized body (>16 KB): 400 invalid_request, even with valid credentials', async () => {
      const body = `${new URLSearchParams(clientCredentials()).toString()}&padding=${'x'.repeat(17 * 1024)}`;
      assertOAuthError(await postToken(server.url, body), 400, 'invalid_request');
      // Just under the limit is fine.
      const fits = `${new URLSearchParams(clientCredentials()).toString()}&padding=${'x'.repeat(15 * 1024)}`;
      ok(await postToken(server.url, fits));
    });

    test('an empty body, no content type, or another media type: 4xx in the OAuth shape, never 500', async () => {
      assertOAuthError(await postToken(server.url, ''), 400, 'invalid_request', 65);
      assertOAuthError(await postToken(server.url, undefined, FORM), 400, 'invalid_request');
      assertOAuthError(await postToken(server.url, undefined, null), 400, 'invalid_request');
      const form = new URLSearchParams(clientCredentials()).toString();
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream']) {
        assertOAuthError(await postToken(server.url, form, type), 400, 'invalid_request');
      }
      // Junk that parses as a form has no grant_type.
      assertOAuthError(await postToken(server.url, '%%%&&&==='), 400, 'invalid_request', 65);
      assertOAuthError(await postToken(server.url, '\u0000\u0001\u0002'), 400, 'invalid_request', 400);
      // A charset parameter on the form type is fine.
      ok(await postToken(server.url, form, `${FORM}; charset=utf-8`));
    });

    test('a batch of failing requests changes nothing; the credentials they carried still work afterwards', async () => {
      const requestToken = await createRequestToken(admin, server.companyId, app.id);
      const code = await authorizationCode(server, app.id, user.loginId);
      const userGrant = await userToken(server.url, app, user);
      const before = await snapshotCredentials(server);

      const failures: Array<{ status: number; params?: Record<string, string>; raw?: string; type?: string }> = [
        { status: 401, params: companyForm({ ...app, secret: 'wrong' }, server.companyId, requestToken) },
        { status: 400, params: companyForm(app, server.companyId, requestToken, { scope: 'company.write' }) },
        { status: 400, params: companyForm(otherApp, server.companyId, requestToken) },
        { status: 400, params: companyForm(app, otherCompany.companyId, requestToken) },
        { status: 400, params: companyForm(app, server.companyId, requestToken, { grant_type: 'implicit' }) },
        { status: 400, params: companyForm(app, server.companyId, requestToken, { credtype: 'other' }) },
        { status: 400, raw: `${new URLSearchParams(companyForm(app, server.companyId, requestToken)).toString()}&password=${requestToken}` },
        { status: 400, raw: `${new URLSearchParams(companyForm(app, server.companyId, requestToken)).toString()}&pad=${'x'.repeat(17 * 1024)}` },
        { status: 400, raw: JSON.stringify(companyForm(app, server.companyId, requestToken)), type: 'text/plain' },
        { status: 401, params: codeForm({ ...app, secret: 'wrong' }, code) },
        { status: 400, params: codeForm(app, code, { redirect_uri: 'https://evil.example.test/' }) },
        { status: 400, params: codeForm(otherApp, code) },
        { status: 400, params: codeForm(app, code, { scope: 'company.write' }) },
        { status: 400, raw: `${new URLSearchParams(codeForm(app, code)).toString()}&code=${code}` },
        { status: 401, params: refreshForm({ ...app, secret: 'wrong' }, userGrant.refresh_token) },
        { status: 400, params: refreshForm(otherApp, userGrant.refresh_token) },
        { status: 400, params: refreshForm(app, userGrant.refresh_token, { scope: 'company.write' }) },
        { status: 400, params: { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: user.loginId, password: 'wrong-password' } },
        { status: 401, params: { grant_type: 'password', client_id: crypto.randomUUID(), client_secret: app.secret, username: user.loginId, password: user.password } },
      ];
      for (const failure of failures) {
        const answer = failure.params ? await token(server.url, failure.params) : await postToken(server.url, failure.raw, failure.type);
        assert.equal(answer.status, failure.status, `${JSON.stringify(failure).slice(0, 200)} → ${JSON.stringify(answer.body)}`);
        assert.ok(!('access_token' in answer.body));
      }

      assert.deepEqual(await snapshotCredentials(server), before, 'the failed requests changed no row');
      ok(await token(server.url, companyForm(app, server.companyId, requestToken)));
      ok(await token(server.url, codeForm(app, code)));
      ok(await token(server.url, refreshForm(app, userGrant.refresh_token)));
    });
  });
}
