/**
 * Concur's OAuth2 token endpoint over real HTTP, on SQLite and PostgreSQL: every token type (app,
 * company, user by password and by authorization code, refreshed) obtained from `/oauth2/v0/token`
 * and used against a protected endpoint, Concur's response fields, the JWT claims, verification with
 * `jose` from the public JWKS alone, user revocation, and signing key rotation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { TestServer } from '../support/server.ts';
import { anonymous, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import {
  REDIRECT_URI, TOPIC_READ, WRITE, appToken, authorizationCode, assertInvalidToken, assertOAuthError, assertPermissionDenied, callProtected, callWith,
  codeForm, companyToken, createApp, decode, ok, refreshForm, startIdentityServer, token, userIdOf, userToken, type TestApp,
} from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const DAY_SECONDS = 86_400;
const APP_FIELDS = ['access_token', 'expires_in', 'geolocation', 'scope', 'token_type'];
const REFRESHABLE_FIELDS = ['access_token', 'expires_in', 'geolocation', 'id_token', 'refresh_expires_in', 'refresh_token', 'scope', 'token_type'];

/** Asserts the fields of a successful token response, exactly as Concur answers them. */
function assertTokenResponse(body: any, expected: { scope: string; refreshable: boolean }): void {
  assert.deepEqual(Object.keys(body).sort(), expected.refreshable ? REFRESHABLE_FIELDS : APP_FIELDS);
  assert.equal(body.expires_in, '3600');
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.scope, expected.scope);
  assert.match(body.access_token, JWT);
  assert.match(body.geolocation, /^https?:\/\/[^/]+$/);
  if (expected.refreshable) {
    assert.match(body.refresh_token, UUID);
    assert.equal(typeof body.refresh_expires_in, 'number');
    assert.ok(Number.isInteger(body.refresh_expires_in), 'refresh_expires_in is whole epoch seconds');
    const now = Date.now() / 1000;
    assert.ok(body.refresh_expires_in > now + 180 * DAY_SECONDS && body.refresh_expires_in < now + 186 * DAY_SECONDS, `refresh_expires_in ${body.refresh_expires_in} is about six months ahead`);
    assert.match(body.id_token, JWT);
  }
}

/** Asserts an access token's header and claims. */
function assertAccessClaims(jwt: string, expected: { type: 'app' | 'company' | 'user'; appId: string; scopes: string[]; sub: string; company?: string; iss: string }): void {
  const { header, payload } = decode(jwt);
  assert.equal(header.alg, 'RS256');
  assert.equal(header.typ, 'JWT');
  assert.match(String(header.kid), /^\d+$/, 'the kid is a numeric string, as Concur\'s');
  assert.equal(typeof header.kid, 'string');
  assert.equal(payload['concur.type'], expected.type);
  assert.equal(payload['concur.appId'], expected.appId);
  assert.deepEqual(payload['concur.scopes'], expected.scopes);
  assert.equal(payload['concur.version'], 3);
  if (expected.company) assert.equal(payload['concur.company'], expected.company);
  else assert.ok(!('concur.company' in payload), 'an app token names no company');
  assert.equal(payload.sub, expected.sub);
  assert.equal(payload.iss, expected.iss);
  assert.equal(payload.aud, '*');
  assert.equal(typeof payload.iat, 'number');
  assert.equal(typeof payload.exp, 'number');
  assert.equal(typeof payload.nbf, 'number');
  assert.equal(payload.exp! - payload.iat!, 3600);
  assert.ok(payload.nbf! <= payload.iat!);
  assert.ok(Math.abs(payload.iat! - Date.now() / 1000) < 300, 'iat is now');
  assert.match(String(payload.jti), UUID);
}

for (const { kind, skip } of await storeSuites()) {
  describe(`OAuth2 token types [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let operator: ApiClient;
    let admin: ApiClient;
    let app: TestApp;
    let user: { loginId: string; password: string };
    let jwks: ReturnType<typeof createRemoteJWKSet>;

    before(async () => {
      ({ server, operator, admin } = await startIdentityServer(kind));
      app = await createApp(operator, { name: 'Travel integration', scopes: [TOPIC_READ, WRITE, 'user.read'] });
      user = await server.addUser(server.companyId, ['EMPLOYEE']);
      jwks = createRemoteJWKSet(new URL(`${server.url}/oauth2/v0/jwks`));
    });
    after(async () => server?.close());

    test('client_credentials gives an app token that lists public.concur.request only to an app with travelrequest.write', async () => {
      const answer = await token(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret });
      const body = ok(answer);
      assertTokenResponse(body, { scope: `${TOPIC_READ} ${WRITE} user.read`, refreshable: false });
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.headers.get('pragma'), 'no-cache');
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);

      for (const path of ['/events/v4/topics', '/v4/topics']) {
        const topics = await callWith(server.url, path, body.access_token);
        assert.equal(topics.status, 200, JSON.stringify(topics.body));
        assert.deepEqual(topics.body, ['public.concur.request']);
      }

      const readOnly = await createApp(operator, { name: 'Topic reader', grants: ['client_credentials'], scopes: [TOPIC_READ] });
      const readOnlyToken = await appToken(server.url, readOnly);
      assertTokenResponse(readOnlyToken, { scope: TOPIC_READ, refreshable: false });
      const empty = await callWith(server.url, '/events/v4/topics', readOnlyToken.access_token);
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, [], 'an app with only events.topic.read sees no topic');

      // Asking for fewer scopes narrows the token, and with it the topics.
      const narrowed = await appToken(server.url, app, TOPIC_READ);
      assert.equal(narrowed.scope, TOPIC_READ);
      assert.deepEqual(decode(narrowed.access_token).payload['concur.scopes'], [TOPIC_READ]);
      assert.deepEqual((await callWith(server.url, '/events/v4/topics', narrowed.access_token)).body, []);
    });

    test('an app token carries concur.type app, its app id as sub, and verifies with jose from the JWKS alone', async () => {
      const body = await appToken(server.url, app);
      assertAccessClaims(body.access_token, { type: 'app', appId: app.id, scopes: [TOPIC_READ, WRITE, 'user.read'], sub: app.id, iss: body.geolocation });
      const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, { issuer: body.geolocation, audience: '*', algorithms: ['RS256'] });
      assert.equal(protectedHeader.kid, decode(body.access_token).header.kid);
      assert.equal(payload['concur.type'], 'app');
    });

    test('a company token from a Company Request Token made by the company admin passes the guard of a company endpoint', async () => {
      const body = await companyToken(server.url, admin, server.companyId, app);
      assertTokenResponse(body, { scope: `${TOPIC_READ} ${WRITE} user.read`, refreshable: true });
      assertAccessClaims(body.access_token, { type: 'company', appId: app.id, scopes: [TOPIC_READ, WRITE, 'user.read'], sub: server.companyId, company: server.companyId, iss: body.geolocation });
      await jwtVerify(body.access_token, jwks, { issuer: body.geolocation, audience: '*', algorithms: ['RS256'] });

      const answer = await callProtected(server.url, server.companyId, body.access_token);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.token.type, 'company');
      assert.equal(answer.body.token.companyId, server.companyId);
      assert.equal(answer.body.token.appId, app.id);
      assert.equal(answer.body.token.userId, null);

      const connections = await admin.get(`/api/companies/${server.companyId}/connections`);
      assert.equal(connections.status, 200);
      const connection = connections.body.items.find((item: any) => item.appId === app.id);
      assert.ok(connection, 'the company is connected to the app');
      assert.equal(connection.appName, 'Travel integration');

      // An app token is not a company token: the company endpoint refuses it.
      assertPermissionDenied(await callProtected(server.url, server.companyId, (await appToken(server.url, app)).access_token));
    });

    test('the company token\'s id_token describes the company, is audienced to the app and verifies from the JWKS', async () => {
      const body = await companyToken(server.url, admin, server.companyId, app);
      const { header, payload } = decode(body.id_token);
      assert.equal(header.alg, 'RS256');
      assert.match(String(header.kid), /^\d+$/);
      assert.equal(payload['concur.type'], 'company');
      assert.equal(payload['concur.company'], server.companyId);
      assert.equal(payload.sub, server.companyId);
      assert.equal(payload.aud, app.id);
      assert.equal(payload.exp! - payload.iat!, 3600);
      await jwtVerify(body.id_token, jwks, { issuer: body.geolocation, audience: app.id, algorithms: ['RS256'] });
    });

    test('the password grant with a user\'s login ID and password gives a user token that passes the guard', async () => {
      const userId = await userIdOf(server, user.loginId);
      const body = await userToken(server.url, app, user);
      assertTokenResponse(body, { scope: `${TOPIC_READ} ${WRITE} user.read`, refreshable: true });
      assertAccessClaims(body.access_token, { type: 'user', appId: app.id, scopes: [TOPIC_READ, WRITE, 'user.read'], sub: userId, company: server.companyId, iss: body.geolocation });
      await jwtVerify(body.access_token, jwks, { issuer: body.geolocation, audience: '*', algorithms: ['RS256'] });
      const { payload } = await jwtVerify(body.id_token, jwks, { issuer: body.geolocation, audience: app.id, algorithms: ['RS256'] });
      assert.equal(payload['concur.type'], 'user');
      assert.equal(payload.sub, userId);

      const answer = await callProtected(server.url, server.companyId, body.access_token);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.token.type, 'user');
      assert.equal(answer.body.token.userId, userId);
      assert.equal(answer.body.token.companyId, server.companyId);

      // An explicit credtype=password is the same grant; login IDs are case-insensitive.
      const explicit = ok(await token(server.url, { grant_type: 'password', credtype: 'password', client_id: app.id, client_secret: app.secret, username: user.loginId.toUpperCase(), password: user.password }));
      assert.equal(decode(explicit.access_token).payload.sub, userId);

      // A user token is not an app token.
      assertPermissionDenied(await callWith(server.url, '/events/v4/topics', body.access_token));
    });

    test('authorization_code exchanges a Launch External URL code for a user token', async () => {
      const userId = await userIdOf(server, user.loginId);
      const code = await authorizationCode(server, app.id, user.loginId);
      const body = ok(await token(server.url, codeForm(app, code)));
      assertTokenResponse(body, { scope: `${TOPIC_READ} ${WRITE} user.read`, refreshable: true });
      assertAccessClaims(body.access_token, { type: 'user', appId: app.id, scopes: [TOPIC_READ, WRITE, 'user.read'], sub: userId, company: server.companyId, iss: body.geolocation });
      await jwtVerify(body.access_token, jwks, { issuer: body.geolocation, audience: '*', algorithms: ['RS256'] });
      const answer = await callProtected(server.url, server.companyId, body.access_token);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.token.userId, userId);

      const row = await server.patchbay.store.db.selectFrom('authorization_codes').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
      assert.notEqual(row.code_hash, code, 'codes are stored hashed');
      assert.equal(row.redirect_uri, REDIRECT_URI);
      assert.notEqual(row.used_at, null, 'the code is consumed');
    });

    test('a requested scope narrows the company and user tokens', async () => {
      const narrowedUser = await userToken(server.url, app, user, WRITE);
      assert.equal(narrowedUser.scope, WRITE);
      assert.deepEqual(decode(narrowedUser.access_token).payload['concur.scopes'], [WRITE]);
      assert.equal((await callProtected(server.url, server.companyId, narrowedUser.access_token)).status, 200);

      const withoutWrite = await userToken(server.url, app, user, `${TOPIC_READ} user.read`);
      assert.equal(withoutWrite.scope, `${TOPIC_READ} user.read`);
      assertPermissionDenied(await callProtected(server.url, server.companyId, withoutWrite.access_token), /travelrequest\.write/);
    });

    test('refresh_token gives a new access token for the same company or user and keeps the refresh token', async () => {
      const userId = await userIdOf(server, user.loginId);
      for (const first of [await companyToken(server.url, admin, server.companyId, app), await userToken(server.url, app, user)]) {
        const refreshed = ok(await token(server.url, refreshForm(app, first.refresh_token)));
        assertTokenResponse(refreshed, { scope: first.scope, refreshable: true });
        assert.equal(refreshed.refresh_token, first.refresh_token);
        assert.equal(refreshed.refresh_expires_in, first.refresh_expires_in);
        assert.notEqual(refreshed.access_token, first.access_token);
        const before = decode(first.access_token).payload;
        const after = decode(refreshed.access_token).payload;
        for (const claim of ['concur.type', 'concur.appId', 'concur.company', 'concur.scopes', 'sub', 'iss', 'aud']) assert.deepEqual(after[claim], before[claim], claim);
        await jwtVerify(refreshed.access_token, jwks, { issuer: refreshed.geolocation, audience: '*', algorithms: ['RS256'] });
        const answer = await callProtected(server.url, server.companyId, refreshed.access_token);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.token.userId, before['concur.type'] === 'user' ? userId : null);

        const narrowed = ok(await token(server.url, refreshForm(app, first.refresh_token, { scope: TOPIC_READ })));
        assert.equal(narrowed.scope, TOPIC_READ);
        assertPermissionDenied(await callProtected(server.url, server.companyId, narrowed.access_token));
      }
    });

    test('DELETE /app-mgmt/v0/connections with a user token revokes that user\'s refresh tokens for the app, and nothing else', async () => {
      const someone = await server.addUser(server.companyId, ['EMPLOYEE']);
      const other = await createApp(operator, { name: 'Other app' });
      const byPassword = await userToken(server.url, app, someone);
      const byCode = ok(await token(server.url, codeForm(app, await authorizationCode(server, app.id, someone.loginId))));
      const otherApp = await userToken(server.url, other, someone);
      const colleague = await userToken(server.url, app, user);

      // Only a user token may revoke, and only its own grants.
      assertInvalidToken(await callWith(server.url, '/app-mgmt/v0/connections', null, { method: 'DELETE' }));
      assertPermissionDenied(await callWith(server.url, '/app-mgmt/v0/connections', (await appToken(server.url, app)).access_token, { method: 'DELETE' }));
      assertPermissionDenied(await callWith(server.url, '/app-mgmt/v0/connections', (await companyToken(server.url, admin, server.companyId, app)).access_token, { method: 'DELETE' }));
      ok(await token(server.url, refreshForm(app, byPassword.refresh_token)));

      const revoked = await callWith(server.url, '/app-mgmt/v0/connections', byPassword.access_token, { method: 'DELETE' });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));

      assertOAuthError(await token(server.url, refreshForm(app, byPassword.refresh_token)), 400, 'invalid_grant', 108);
      assertOAuthError(await token(server.url, refreshForm(app, byCode.refresh_token)), 400, 'invalid_grant', 108);
      // The same user's grant to another app, and a colleague's grant to this app, are untouched.
      ok(await token(server.url, refreshForm(other, otherApp.refresh_token)));
      ok(await token(server.url, refreshForm(app, colleague.refresh_token)));
      // Signing in again gives a working grant.
      const again = await userToken(server.url, app, someone);
      ok(await token(server.url, refreshForm(app, again.refresh_token)));
    });

    test('the JWKS publishes RSA public keys only, with numeric kids', async () => {
      const response = await fetch(`${server.url}/oauth2/v0/jwks`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { keys: Array<Record<string, unknown>> };
      assert.ok(body.keys.length >= 1);
      for (const key of body.keys) {
        assert.equal(key.kty, 'RSA');
        assert.equal(key.alg, 'RS256');
        assert.equal(key.use, 'sig');
        assert.match(String(key.kid), /^\d+$/);
        assert.equal(typeof key.n, 'string');
        assert.equal(typeof key.e, 'string');
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.ok(!(secret in key), `the JWKS must not publish "${secret}"`);
      }
      const kid = decode((await appToken(server.url, app)).access_token).header.kid;
      assert.ok(body.keys.some((key) => key.kid === kid), 'the key that signs new tokens is published');
    });
  });

  describe(`signing key rotation [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let operator: ApiClient;
    let admin: ApiClient;
    let app: TestApp;
    let user: { loginId: string; password: string };

    before(async () => {
      ({ server, operator, admin } = await startIdentityServer(kind));
      app = await createApp(operator);
      user = await server.addUser(server.companyId, ['EMPLOYEE']);
    });
    after(async () => server?.close());

    const publishedKids = async (): Promise<string[]> => {
      const body = (await (await fetch(`${server.url}/oauth2/v0/jwks`)).json()) as { keys: Array<{ kid: string }> };
      return body.keys.map((key) => key.kid).sort();
    };
    const verifies = async (jwt: string): Promise<boolean> => {
      // A fresh key set each time, so jose's own cache cannot hide a change.
      const jwks = createRemoteJWKSet(new URL(`${server.url}/oauth2/v0/jwks`));
      try {
        await jwtVerify(jwt, jwks, { audience: '*', algorithms: ['RS256'] });
        return true;
      } catch {
        return false;
      }
    };

    test('only operators rotate', async () => {
      assert.equal((await anonymous(server.url).post('/api/signing-keys/rotate')).status, 401);
      const refused = await admin.post('/api/signing-keys/rotate');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'permission_denied');
      assert.equal((await publishedKids()).length, 1, 'a refused rotation added no key');
    });

    test('rotation signs new tokens with the new kid, keeps the previous key valid, and retires the one before it', async () => {
      const first = await userToken(server.url, app, user);
      const kid0 = decode(first.access_token).header.kid!;
      assert.deepEqual(await publishedKids(), [kid0]);

      const rotated = await operator.post('/api/signing-keys/rotate');
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const kid1 = rotated.body.kid;
      assert.match(kid1, /^\d+$/);
      assert.notEqual(kid1, kid0);
      assert.deepEqual(await publishedKids(), [kid0, kid1].sort());

      const second = await userToken(server.url, app, user);
      assert.equal(decode(second.access_token).header.kid, kid1);
      assert.equal(decode(second.id_token).header.kid, kid1);
      assert.equal((await callProtected(server.url, server.companyId, first.access_token)).status, 200, 'a token signed before the rotation still works');
      assert.equal((await callProtected(server.url, server.companyId, second.access_token)).status, 200);
      assert.equal(await verifies(first.access_token), true);
      assert.equal(await verifies(second.access_token), true);

      const again = await operator.post('/api/signing-keys/rotate');
      assert.equal(again.status, 200);
      const kid2 = again.body.kid;
      assert.deepEqual(await publishedKids(), [kid1, kid2].sort(), 'the oldest key is gone from the JWKS');

      assertInvalidToken(await callProtected(server.url, server.companyId, first.access_token));
      assert.equal(await verifies(first.access_token), false);
      assert.equal((await callProtected(server.url, server.companyId, second.access_token)).status, 200, 'the previous key still verifies');
      assert.equal(await verifies(second.access_token), true);
      const third = await userToken(server.url, app, user);
      assert.equal(decode(third.access_token).header.kid, kid2);
      assert.equal((await callProtected(server.url, server.companyId, third.access_token)).status, 200);

      // The refresh token outlives the keys: it still gives a token signed with the current key.
      const refreshed = ok(await token(server.url, refreshForm(app, first.refresh_token)));
      assert.equal(decode(refreshed.access_token).header.kid, kid2);
      assert.equal((await callProtected(server.url, server.companyId, refreshed.access_token)).status, 200);

      const rows = await server.patchbay.store.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
      assert.deepEqual(rows.map((row) => row.kid), [kid0, kid1, kid2]);
      assert.notEqual(rows[0]!.retired_at, null);
      assert.equal(rows[1]!.retired_at, null);
      assert.equal(rows[2]!.retired_at, null);
      for (const row of rows) {
        assert.ok(!row.private_key_encrypted.includes('PRIVATE KEY'), 'private keys are stored encrypted');
        assert.ok(!('d' in JSON.parse(row.public_jwk)));
      }
    });
  });
}
