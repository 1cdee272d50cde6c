/**
 * The token guard at a protected endpoint, over real HTTP, on SQLite and PostgreSQL: missing,
 * malformed, tampered, wrongly signed, expired and not-yet-valid tokens, id_tokens and tokens of
 * another issuer or audience get 401; a token of the wrong type, without the scope, or of another
 * company gets 403 `permissionDenied`. Tokens signed with patchbay's own key (read from the store and
 * decrypted with the data directory's secret key) prove each refusal is for the reason tested.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, base64url, type JWTPayload } from 'jose';
import type { TestServer } from '../support/server.ts';
import type { ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import {
  TOPIC_READ, WRITE, appToken, assertInvalidToken, assertPermissionDenied, callProtected, callWith, companyToken, createApp, decode,
  patchbayPrivateKey, startIdentityServer, userIdOf, userToken, type TestApp,
} from './helpers.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`token guard [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let operator: ApiClient;
    let admin: ApiClient;
    let app: TestApp;
    let user: { loginId: string; password: string };
    let userAccess: any;
    let companyAccess: any;
    let kid: string;
    let iss: string;
    let realKey: KeyObject;
    const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

    before(async () => {
      ({ server, operator, admin } = await startIdentityServer(kind));
      app = await createApp(operator);
      user = await server.addUser(server.companyId, ['EMPLOYEE']);
      userAccess = await userToken(server.url, app, user);
      companyAccess = await companyToken(server.url, admin, server.companyId, app);
      kid = decode(userAccess.access_token).header.kid!;
      iss = userAccess.geolocation;
      realKey = await patchbayPrivateKey(server, kid);
    });
    after(async () => server?.close());

    /** A user token's claims, as patchbay would issue them now. */
    const userClaims = async (): Promise<JWTPayload> => ({
      'concur.type': 'user',
      'concur.appId': app.id,
      'concur.scopes': [TOPIC_READ, WRITE],
      'concur.version': 3,
      'concur.company': server.companyId,
      sub: await userIdOf(server, user.loginId),
      iss,
      aud: '*',
      jti: randomUUID(),
    });

    /** Signs `payload` (times relative to now, in seconds) with `key`. */
    const sign = async (payload: JWTPayload, key: KeyObject, times: { iat?: number; nbf?: number; exp?: number } = {}, header: { alg?: string; kid?: string } = {}): Promise<string> => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(payload)
        .setProtectedHeader({ alg: header.alg ?? 'RS256', kid: header.kid ?? kid, typ: 'JWT' })
        .setIssuedAt(now + (times.iat ?? 0))
        .setNotBefore(now + (times.nbf ?? 0))
        .setExpirationTime(now + (times.exp ?? 3600))
        .sign(key);
    };

    test('control: a token signed with patchbay\'s key and a user token\'s claims passes, so each refusal below is for its own reason', async () => {
      const answer = await callProtected(server.url, server.companyId, await sign(await userClaims(), realKey));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.token.type, 'user');
    });

    test('no Authorization header: 401', async () => {
      const answer = await callProtected(server.url, server.companyId, null);
      assertInvalidToken(answer);
      assert.match(answer.body.errors[0].errorMessage, /Bearer/);
    });

    test('malformed Authorization headers: 401', async () => {
      const jwt = userAccess.access_token;
      for (const header of ['Bearer', 'Bearer ', `Basic ${Buffer.from('a:b').toString('base64')}`, `Token ${jwt}`, `Bearer ${jwt} ${jwt}`, 'Bearer not-a-jwt', 'Bearer a.b', `Bearer ${jwt.split('.').slice(0, 2).join('.')}.`, `Bearer ${jwt}.extra`, jwt]) {
        assertInvalidToken(await callProtected(server.url, server.companyId, header, true));
      }
      // The scheme is case-insensitive (RFC 6750), so this one passes.
      assert.equal((await callProtected(server.url, server.companyId, `bearer ${jwt}`, true)).status, 200);
    });

    test('a tampered token (one payload character flipped, or a re-encoded payload with the signature kept): 401', async () => {
      const [head, body, signature] = userAccess.access_token.split('.') as [string, string, string];
      const middle = Math.floor(body.length / 2);
      const flipped = `${body.slice(0, middle)}${body[middle] === 'A' ? 'B' : 'A'}${body.slice(middle + 1)}`;
      assertInvalidToken(await callProtected(server.url, server.companyId, `${head}.${flipped}.${signature}`));

      const claims = decode(userAccess.access_token).payload;
      for (const change of [{ 'concur.scopes': [...(claims['concur.scopes'] as string[]), 'company.write'] }, { exp: (claims.exp as number) + 86_400 }, { 'concur.type': 'company' }]) {
        const forged = base64url.encode(JSON.stringify({ ...claims, ...change }));
        const answer = await callProtected(server.url, server.companyId, `${head}.${forged}.${signature}`);
        assertInvalidToken(answer);
        assert.match(answer.body.errors[0].errorMessage, /signature/);
      }
      // The untouched token still works.
      assert.equal((await callProtected(server.url, server.companyId, userAccess.access_token)).status, 200);
    });

    test('a token signed by a foreign RSA key with patchbay\'s kid, or with an unknown kid: 401', async () => {
      const sameKid = await callProtected(server.url, server.companyId, await sign(await userClaims(), foreignKey));
      assertInvalidToken(sameKid);
      assert.match(sameKid.body.errors[0].errorMessage, /signature/);
      for (const otherKid of ['1', '99999999999999', 'not-numeric']) {
        assertInvalidToken(await callProtected(server.url, server.companyId, await sign(await userClaims(), foreignKey, {}, { kid: otherKid })));
      }
    });

    test('alg none, HS256 with the public key as secret, and a token without a kid: 401', async () => {
      const head = base64url.encode(JSON.stringify({ alg: 'none', kid, typ: 'JWT' }));
      const now = Math.floor(Date.now() / 1000);
      const body = base64url.encode(JSON.stringify({ ...(await userClaims()), iat: now, nbf: now, exp: now + 3600 }));
      for (const unsigned of [`${head}.${body}.`, `${head}.${body}.${base64url.encode('x')}`]) {
        assertInvalidToken(await callProtected(server.url, server.companyId, unsigned));
      }

      const jwks = (await (await fetch(`${server.url}/oauth2/v0/jwks`)).json()) as { keys: Array<{ kid: string; n: string }> };
      const published = jwks.keys.find((key) => key.kid === kid)!;
      const confusion = await sign(await userClaims(), createSecretKey(Buffer.from(JSON.stringify(published))), {}, { alg: 'HS256' });
      assertInvalidToken(await callProtected(server.url, server.companyId, confusion));

      const noKid = await new SignJWT(await userClaims()).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('1h').sign(realKey);
      assertInvalidToken(await callProtected(server.url, server.companyId, noKid));
    });

    test('an expired token, even signed with patchbay\'s own key: 401', async () => {
      const expired = await callProtected(server.url, server.companyId, await sign(await userClaims(), realKey, { iat: -7200, nbf: -7200, exp: -3600 }));
      assertInvalidToken(expired);
      assert.match(expired.body.errors[0].errorMessage, /expired/);
      // And an expired token signed by a foreign key.
      assertInvalidToken(await callProtected(server.url, server.companyId, await sign(await userClaims(), foreignKey, { iat: -7200, nbf: -7200, exp: -3600 })));
    });

    test('a token that worked expires on time although it was verified before', async () => {
      // exp is in whole seconds: three seconds ahead leaves at least two in which the token is valid.
      const shortLived = await sign(await userClaims(), realKey, { exp: 3 });
      assert.equal((await callProtected(server.url, server.companyId, shortLived)).status, 200);
      assert.equal((await callProtected(server.url, server.companyId, shortLived)).status, 200, 'a second call with the same token');
      const expiry = decode(shortLived).payload.exp! * 1000;
      await new Promise((resolve) => setTimeout(resolve, expiry - Date.now() + 50));
      const expired = await callProtected(server.url, server.companyId, shortLived);
      assertInvalidToken(expired);
      assert.match(expired.body.errors[0].errorMessage, /expired/);
    });

    test('a token not yet valid (nbf in the future), of another issuer, or of another audience: 401', async () => {
      assertInvalidToken(await callProtected(server.url, server.companyId, await sign(await userClaims(), realKey, { nbf: 1800 })));
      assertInvalidToken(await callProtected(server.url, server.companyId, await sign({ ...(await userClaims()), iss: 'https://us2.api.concursolutions.com' }, realKey)));
      assertInvalidToken(await callProtected(server.url, server.companyId, await sign({ ...(await userClaims()), aud: app.id }, realKey)));
      const { jti: _jti, ...withoutJti } = await userClaims();
      assertInvalidToken(await callProtected(server.url, server.companyId, await sign(withoutJti, realKey)));
    });

    test('a validly signed JWT that is not an access token: 401', async () => {
      for (const change of [{ 'concur.type': 'admin' }, { 'concur.scopes': 'travelrequest.write' }, { 'concur.appId': undefined }]) {
        assertInvalidToken(await callProtected(server.url, server.companyId, await sign({ ...(await userClaims()), ...change }, realKey)));
      }
    });

    test('an id_token used as an access token: 401', async () => {
      for (const idToken of [userAccess.id_token, companyAccess.id_token]) {
        const answer = await callProtected(server.url, server.companyId, idToken);
        assertInvalidToken(answer);
        assert.match(answer.body.errors[0].errorMessage, /aud/);
      }
    });

    test('a token of the wrong type: 403 permissionDenied', async () => {
      const app403 = await callProtected(server.url, server.companyId, (await appToken(server.url, app)).access_token);
      assertPermissionDenied(app403, /company token or a user token; this is an app token/);
      const topics = await callWith(server.url, '/events/v4/topics', companyAccess.access_token);
      assertPermissionDenied(topics, /app token; this is a company token/);
    });

    test('a token without the required scope: 403 permissionDenied with an insufficient_scope challenge', async () => {
      const narrowed = await userToken(server.url, app, user, TOPIC_READ);
      const answer = await callProtected(server.url, server.companyId, narrowed.access_token);
      assertPermissionDenied(answer, /travelrequest\.write/);
      assert.equal(answer.headers.get('www-authenticate'), `Bearer error="insufficient_scope", scope="${WRITE}"`);

      const writer = await createApp(operator, { grants: ['client_credentials'], scopes: [WRITE] });
      const topics = await callWith(server.url, '/events/v4/topics', (await appToken(server.url, writer)).access_token);
      assertPermissionDenied(topics, /events\.topic\.read/);
      assert.equal(topics.headers.get('www-authenticate'), `Bearer error="insufficient_scope", scope="${TOPIC_READ}"`);
    });

    test('a company or user token used for another company: 403 permissionDenied', async () => {
      const other = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
      for (const jwt of [companyAccess.access_token, userAccess.access_token]) {
        assertPermissionDenied(await callProtected(server.url, other.companyId, jwt), /another company/);
        assert.equal((await callProtected(server.url, server.companyId, jwt)).status, 200);
      }
      // The other company's own user token is accepted there and refused here.
      const theirs = await userToken(server.url, app, other.user);
      assert.equal((await callProtected(server.url, other.companyId, theirs.access_token)).status, 200);
      assertPermissionDenied(await callProtected(server.url, server.companyId, theirs.access_token), /another company/);
    });

    test('tokens of a disabled application: 401 until it is enabled again', async () => {
      const paused = await createApp(operator);
      const access = await userToken(server.url, paused, user);
      assert.equal((await callProtected(server.url, server.companyId, access.access_token)).status, 200);
      assert.equal((await operator.patch(`/api/applications/${paused.id}`, { active: false })).status, 200);
      assertInvalidToken(await callProtected(server.url, server.companyId, access.access_token));
      assert.equal((await operator.patch(`/api/applications/${paused.id}`, { active: true })).status, 200);
      assert.equal((await callProtected(server.url, server.companyId, access.access_token)).status, 200);
    });
  });
}
