/**
 * Helpers for the identity tests: a patchbay with a route protected by the token guard, OAuth2
 * applications registered through the admin API, token requests over real HTTP, Company Request
 * Tokens and authorization codes, and snapshots of the one-time credential tables.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { Patchbay } from '../../src/runtime.ts';
import { issueAuthorizationCode } from '../../src/identity/oauth.ts';
import { createSecretBox, loadOrCreateSecretKey } from '../../src/security/secret-box.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import type { TestStoreKind } from '../support/stores.ts';

/** Every grant `/oauth2/v0/token` knows. */
export const ALL_GRANTS = ['client_credentials', 'password', 'authorization_code', 'refresh_token'] as const;
/** The redirect URI the test applications register. */
export const REDIRECT_URI = 'https://app.example.test/oauth/callback';
/** The scope the protected test route demands. */
export const WRITE = 'travelrequest.write';
/** The scope every ESS call needs. */
export const TOPIC_READ = 'events.topic.read';

/** The path of the protected test route for one company. */
export const protectedPath = (companyId: string): string => `/test/companies/${companyId}/protected`;

/**
 * Adds `GET /test/companies/:companyId/protected`, a Concur-compatible route that accepts company and
 * user tokens with `travelrequest.write` acting on `:companyId`, and answers with the verified token.
 */
export function addProtectedRoute(patchbay: Patchbay): void {
  patchbay.app.get<{ Params: { companyId: string } }>('/test/companies/:companyId/protected', async (request) => {
    const token = await patchbay.guard.require(request, { types: ['company', 'user'], allScopes: [WRITE], companyId: request.params.companyId });
    return { ok: true, token };
  });
}

/** A patchbay on `kind` with the protected test route, and clients for its operator and company admin. */
export async function startIdentityServer(kind: TestStoreKind): Promise<{ server: TestServer; operator: ApiClient; admin: ApiClient }> {
  const server = await startTestServer({ database: await kind.create(), beforeListen: addProtectedRoute });
  try {
    return { server, operator: await signIn(server.url, server.operator), admin: await signIn(server.url, server.admin) };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** An application as registered: its client id and the secret shown once. */
export interface TestApp {
  id: string;
  secret: string;
  application: any;
}

let appCounter = 0;

/** Registers an application through the admin API (operator). */
export async function createApp(
  operator: ApiClient,
  fields: { name?: string; grants?: readonly string[]; scopes?: readonly string[]; redirectUris?: readonly string[] } = {},
): Promise<TestApp> {
  const response = await operator.post('/api/applications', {
    name: fields.name ?? `Test app ${++appCounter}`,
    grants: fields.grants ?? ALL_GRANTS,
    scopes: fields.scopes ?? [TOPIC_READ, WRITE],
    redirectUris: fields.redirectUris ?? [REDIRECT_URI],
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { id: response.body.application.id, secret: response.body.clientSecret, application: response.body.application };
}

/** One answer of the token endpoint. */
export interface TokenAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** Posts a raw body to `/oauth2/v0/token`. */
export async function postToken(baseUrl: string, body: string | undefined, contentType: string | null = 'application/x-www-form-urlencoded'): Promise<TokenAnswer> {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const response = await fetch(`${baseUrl}/oauth2/v0/token`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text so the assertion shows it
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Posts form parameters to `/oauth2/v0/token`. */
export function token(baseUrl: string, params: Record<string, string>): Promise<TokenAnswer> {
  return postToken(baseUrl, new URLSearchParams(params).toString());
}

/** Asserts a token request succeeded and returns its body. */
export function ok(answer: TokenAnswer): any {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

/** Asserts a token request failed with exactly `status`, `error` and (when given) Concur's numeric `code`. */
export function assertOAuthError(answer: TokenAnswer, status: number, error: string, code?: number): void {
  const shown = JSON.stringify(answer.body);
  assert.equal(answer.status, status, shown);
  assert.equal(typeof answer.body, 'object', shown);
  assert.deepEqual(Object.keys(answer.body).sort(), ['code', 'error', 'error_description', 'geolocation'], shown);
  assert.equal(answer.body.error, error, shown);
  assert.equal(typeof answer.body.code, 'number', shown);
  if (code !== undefined) assert.equal(answer.body.code, code, shown);
  assert.equal(typeof answer.body.error_description, 'string');
  assert.ok(answer.body.error_description.length > 0);
  assert.match(answer.body.geolocation, /^https?:\/\//);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.ok(!('access_token' in answer.body));
}

/** An app token (client_credentials). */
export async function appToken(baseUrl: string, app: TestApp, scope?: string): Promise<any> {
  return ok(await token(baseUrl, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret, ...(scope ? { scope } : {}) }));
}

/** A user token (password grant with the user's login ID and password). */
export async function userToken(baseUrl: string, app: TestApp, user: { loginId: string; password: string }, scope?: string): Promise<any> {
  return ok(await token(baseUrl, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: user.loginId, password: user.password, ...(scope ? { scope } : {}) }));
}

/** Creates a Company Request Token through the admin API, as `client` (a company admin or operator). */
export async function createRequestToken(client: ApiClient, companyId: string, appId: string): Promise<string> {
  const response = await client.post(`/api/companies/${companyId}/request-tokens`, { appId });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.requestToken;
}

/** The form of a company token request (password grant, credtype authtoken). */
export function companyForm(app: TestApp, companyId: string, requestToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'password', credtype: 'authtoken', client_id: app.id, client_secret: app.secret, username: companyId, password: requestToken, ...extra };
}

/** Connects `companyId` to `app` with a new request token made by `client`; returns the token response. */
export async function companyToken(baseUrl: string, client: ApiClient, companyId: string, app: TestApp): Promise<any> {
  const requestToken = await createRequestToken(client, companyId, app.id);
  return ok(await token(baseUrl, companyForm(app, companyId, requestToken)));
}

/** The id of the user with `loginId`. */
export async function userIdOf(server: TestServer, loginId: string): Promise<string> {
  const row = await server.patchbay.store.db.selectFrom('users').select('id').where('login_id', '=', loginId.toLowerCase()).executeTakeFirstOrThrow();
  return row.id;
}

/** Issues an authorization code with the product function Launch External URL uses. */
export async function authorizationCode(server: TestServer, appId: string, loginId: string, redirectUri = REDIRECT_URI): Promise<string> {
  return issueAuthorizationCode(server.patchbay.store.db, { appId, userId: await userIdOf(server, loginId), redirectUri });
}

/** The form of an authorization_code exchange. */
export function codeForm(app: TestApp, code: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'authorization_code', client_id: app.id, client_secret: app.secret, code, redirect_uri: REDIRECT_URI, ...extra };
}

/** The form of a refresh_token exchange. */
export function refreshForm(app: TestApp, refreshToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'refresh_token', client_id: app.id, client_secret: app.secret, refresh_token: refreshToken, ...extra };
}

/** One answer of a Concur-compatible endpoint. */
export interface GuardAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** Calls `path` with `authorization` (a bearer token, or a raw header value when `raw`). */
export async function callWith(baseUrl: string, path: string, authorization: string | null, init: { method?: string; raw?: boolean } = {}): Promise<GuardAnswer> {
  const headers: Record<string, string> = {};
  if (authorization !== null) headers.authorization = init.raw ? authorization : `Bearer ${authorization}`;
  const response = await fetch(`${baseUrl}${path}`, { method: init.method ?? 'GET', headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

/** Calls the protected test route for `companyId`. */
export function callProtected(baseUrl: string, companyId: string, accessToken: string | null, raw = false): Promise<GuardAnswer> {
  return callWith(baseUrl, protectedPath(companyId), accessToken, { raw });
}

/**
 * Asserts a 401 in Concur's shape with an RFC 6750 `invalid_token` challenge. The error code is
 * `invalidUser`, the one Concur documents for a missing or invalid Authorization header (spec 4.2).
 */
export function assertInvalidToken(answer: GuardAnswer): void {
  const shown = JSON.stringify(answer.body);
  assert.equal(answer.status, 401, shown);
  assert.equal(answer.body.errors.length, 1, shown);
  assert.deepEqual(Object.keys(answer.body.errors[0]).sort(), ['errorCode', 'errorMessage']);
  assert.equal(answer.body.errors[0].errorCode, 'invalidUser', shown);
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
}

/** Asserts a 403 `permissionDenied` in Concur's shape with an `insufficient_scope` challenge. */
export function assertPermissionDenied(answer: GuardAnswer, message?: RegExp): void {
  const shown = JSON.stringify(answer.body);
  assert.equal(answer.status, 403, shown);
  assert.equal(answer.body.errors.length, 1, shown);
  assert.equal(answer.body.errors[0].errorCode, 'permissionDenied', shown);
  if (message) assert.match(answer.body.errors[0].errorMessage, message);
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
}

/** The protected header and payload of a JWT, without verifying it. */
export function decode(jwt: string): { header: ReturnType<typeof decodeProtectedHeader>; payload: JWTPayload & Record<string, unknown> } {
  return { header: decodeProtectedHeader(jwt), payload: decodeJwt(jwt) as JWTPayload & Record<string, unknown> };
}

/** Every row of the tables a failed token request must leave untouched, sorted for comparison. */
export async function snapshotCredentials(server: TestServer): Promise<Record<string, unknown[]>> {
  const db = server.patchbay.store.db;
  const sorted = (rows: object[]): unknown[] => rows.map((row) => JSON.stringify(row)).sort();
  return {
    request_tokens: sorted(await db.selectFrom('request_tokens').selectAll().execute()),
    authorization_codes: sorted(await db.selectFrom('authorization_codes').selectAll().execute()),
    refresh_tokens: sorted(await db.selectFrom('refresh_tokens').selectAll().execute()),
    company_connections: sorted(await db.selectFrom('company_connections').selectAll().execute()),
    applications: sorted(await db.selectFrom('applications').selectAll().execute()),
    signing_keys: sorted(await db.selectFrom('signing_keys').select(['kid', 'created_at', 'retired_at']).execute()),
  };
}

/** Patchbay's own private signing key for `kid`, decrypted with the data directory's secret key. */
export async function patchbayPrivateKey(server: TestServer, kid: string): Promise<KeyObject> {
  const row = await server.patchbay.store.db.selectFrom('signing_keys').select('private_key_encrypted').where('kid', '=', kid).executeTakeFirstOrThrow();
  const box = createSecretBox(loadOrCreateSecretKey(null, `${server.database.dataDir}/secret.key`));
  return createPrivateKey(box.open(row.private_key_encrypted));
}

/** Waits until just after the next whole second, so that what follows most likely happens within one second. */
export async function startOfNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 5));
}
