/**
 * Concur's `/oauth2/v0/token` grants, and the one-time credentials they consume: Company Request
 * Tokens (which connect a company to an application), authorization codes (the Launch External URL
 * `client_auth_code`) and refresh tokens. A one-time credential is consumed only by a successful
 * exchange, in the same transaction that issues what it is exchanged for.
 */
import { randomUUID } from 'node:crypto';
import { PatchbayError, notFound } from '../http/errors.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { normalizeLoginId } from '../companies/companies.ts';
import { DECOY_PASSWORD_HASH, verifyPassword } from '../security/passwords.ts';
import { hashToken } from '../security/tokens.ts';
import type { Executor, Store } from '../store/store.ts';
import { actorLabel, type Principal } from './principal.ts';
import { authenticateClient, getApplication, narrowScopes, type Application, type Grant } from './applications.ts';
import { OAuthError } from './oauth-errors.ts';
import { ACCESS_TOKEN_SECONDS, type TokenClaims, type TokenIssuer } from './tokens.ts';
import { companyConnected, companyDisconnected } from '../events/subscriptions.ts';

/** Company Request Tokens are valid for 24 hours, as Concur's are. */
export const REQUEST_TOKEN_MS = 24 * 3_600_000;
/** Refresh tokens last six months, as Concur's do. */
export const REFRESH_TOKEN_MS = 183 * 24 * 3_600_000;
/** Authorization codes are short-lived (RFC 6749 recommends at most ten minutes). */
export const AUTHORIZATION_CODE_MS = 10 * 60_000;

/** The body `/oauth2/v0/token` answers with, field for field as Concur's. */
export interface TokenResponse {
  expires_in: string;
  scope: string;
  token_type: 'Bearer';
  access_token: string;
  refresh_token?: string;
  refresh_expires_in?: number;
  id_token?: string;
  geolocation: string;
}

/** What the grants need. */
export interface OAuthDeps {
  store: Store;
  tokens: TokenIssuer;
  /** patchbay's public URL, returned as `geolocation`. */
  geolocation: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Runs one token request (the form's parameters) and returns Concur's response, or throws an `OAuthError`. */
export async function exchangeToken(deps: OAuthDeps, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
  const grant = params.grant_type;
  if (!grant) throw new OAuthError('grantTypeMissing');
  if (!['client_credentials', 'password', 'authorization_code', 'refresh_token'].includes(grant)) throw new OAuthError('grantTypeUnknown');
  const app = await authenticateClient(deps.store.db, params.client_id, params.client_secret, grant as Grant);
  switch (grant as Grant) {
    case 'client_credentials':
      return respond(deps, { type: 'app', appId: app.id, scopes: narrowScopes(app.scopes, params.scope), companyId: null, userId: null });
    case 'password':
      return (params.credtype ?? 'password') === 'authtoken' ? connectCompany(deps, app, params) : passwordGrant(deps, app, params);
    case 'authorization_code':
      return authorizationCodeGrant(deps, app, params);
    case 'refresh_token':
      return refreshGrant(deps, app, params);
  }
}

async function respond(deps: OAuthDeps, claims: TokenClaims, refresh?: { token: string; expiresAt: number }): Promise<TokenResponse> {
  return {
    expires_in: String(ACCESS_TOKEN_SECONDS),
    scope: claims.scopes.join(' '),
    token_type: 'Bearer',
    access_token: await deps.tokens.accessToken(claims),
    ...(refresh
      ? { refresh_token: refresh.token, refresh_expires_in: Math.floor(refresh.expiresAt / 1000), id_token: await deps.tokens.idToken(claims) }
      : {}),
    geolocation: deps.geolocation,
  };
}

async function storeRefreshToken(db: Executor, claims: TokenClaims): Promise<{ token: string; expiresAt: number }> {
  const token = randomUUID();
  const now = Date.now();
  const expiresAt = now + REFRESH_TOKEN_MS;
  await db
    .insertInto('refresh_tokens')
    .values({
      token_hash: hashToken(token),
      app_id: claims.appId,
      principal_type: claims.type === 'user' ? 'user' : 'company',
      company_id: claims.companyId!,
      user_id: claims.userId,
      scopes: JSON.stringify(claims.scopes),
      created_at: now,
      expires_at: expiresAt,
      revoked_at: null,
    })
    .execute();
  return { token, expiresAt };
}

/** `password` with `credtype=authtoken`: a Company Request Token connects the company and yields a company token. */
async function connectCompany(deps: OAuthDeps, app: Application, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
  const companyId = params.username;
  const requestToken = params.password;
  if (!companyId) throw new OAuthError('usernameMissing');
  if (!requestToken) throw new OAuthError('passwordMissing');
  if (!UUID.test(companyId)) throw new OAuthError('requestTokenBad', 'username must be the company UUID');
  const scopes = narrowScopes(app.scopes, params.scope);
  const claims: TokenClaims = { type: 'company', appId: app.id, scopes, companyId: companyId.toLowerCase(), userId: null };
  const refresh = await deps.store.transaction(async (trx) => {
    const now = Date.now();
    const row = await trx.selectFrom('request_tokens').selectAll().where('token_hash', '=', hashToken(requestToken)).executeTakeFirst();
    if (!row || row.company_id !== claims.companyId || row.used_at !== null || row.expires_at <= now) throw new OAuthError('requestTokenBad');
    if (row.app_id !== app.id) throw new OAuthError('notIssuedToYou');
    // The conditional update makes the token single-use even when two exchanges race.
    const consumed = await trx.updateTable('request_tokens').set({ used_at: now }).where('token_hash', '=', row.token_hash).where('used_at', 'is', null).executeTakeFirst();
    if (Number(consumed.numUpdatedRows) !== 1) throw new OAuthError('requestTokenBad');
    // Insert-or-reconnect without a read-then-write race: a live connection keeps its start (so its
    // tokens stay valid); a disconnected one starts anew.
    await trx
      .insertInto('company_connections')
      .values({ app_id: app.id, company_id: row.company_id, connected_at: now, connected_by: row.created_by, disconnected_at: null })
      .onConflict((conflict) => conflict.columns(['app_id', 'company_id']).doNothing())
      .execute();
    await trx
      .updateTable('company_connections')
      .set({ connected_at: now, connected_by: row.created_by, disconnected_at: null })
      .where('app_id', '=', app.id)
      .where('company_id', '=', row.company_id)
      .where('disconnected_at', 'is not', null)
      .execute();
    claims.connectedAt = (await connectedSince(trx, app.id, row.company_id)) ?? undefined;
    // Generating a company token is what activates the company on the app's subscriptions that exist
    // now (Concur's "activate subscription" step); subscriptions created later wait for the next one.
    await companyConnected(trx, app.id, row.company_id);
    await recordAudit(trx, null, { companyId: row.company_id, action: 'company.connected', targetType: 'application', targetId: app.id, details: { application: app.name, requestTokenCreatedBy: row.created_by } });
    return storeRefreshToken(trx, claims);
  });
  return respond(deps, claims, refresh);
}

/** `password` with a user's login ID and password: a user token. */
async function passwordGrant(deps: OAuthDeps, app: Application, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
  if (params.credtype !== undefined && params.credtype !== 'password') throw new OAuthError('credtypeInvalid');
  if (!params.username) throw new OAuthError('usernameMissing');
  if (!params.password) throw new OAuthError('passwordMissing');
  const user = await deps.store.db.selectFrom('users').selectAll().where('login_id', '=', normalizeLoginId(params.username)).executeTakeFirst();
  // The decoy hash spends the same time on an unknown login as on a known one.
  const matches = await verifyPassword(params.password, user?.password_hash ?? DECOY_PASSWORD_HASH);
  if (!user || !matches || user.company_id === null) throw new OAuthError('incorrectCredentials');
  const claims: TokenClaims = { type: 'user', appId: app.id, scopes: narrowScopes(app.scopes, params.scope), companyId: user.company_id, userId: user.id };
  return respond(deps, claims, await storeRefreshToken(deps.store.db, claims));
}

/** `authorization_code`: a one-time code (the LEU `client_auth_code`) for a user token. */
async function authorizationCodeGrant(deps: OAuthDeps, app: Application, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
  if (!params.code) throw new OAuthError('codeMissing');
  if (!params.redirect_uri) throw new OAuthError('redirectUriMissing');
  const code = params.code;
  return deps.store.transaction(async (trx) => {
    const now = Date.now();
    const row = await trx
      .selectFrom('authorization_codes')
      .innerJoin('users', 'users.id', 'authorization_codes.user_id')
      .select(['authorization_codes.code_hash', 'authorization_codes.app_id', 'authorization_codes.redirect_uri', 'authorization_codes.expires_at', 'authorization_codes.used_at', 'users.id as user_id', 'users.company_id'])
      .where('authorization_codes.code_hash', '=', hashToken(code))
      .executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= now || row.company_id === null) throw new OAuthError('codeBad');
    if (row.app_id !== app.id) throw new OAuthError('notIssuedToYou');
    if (row.redirect_uri !== params.redirect_uri) throw new OAuthError('redirectUriMismatch');
    const consumed = await trx.updateTable('authorization_codes').set({ used_at: now }).where('code_hash', '=', row.code_hash).where('used_at', 'is', null).executeTakeFirst();
    if (Number(consumed.numUpdatedRows) !== 1) throw new OAuthError('codeBad');
    const claims: TokenClaims = { type: 'user', appId: app.id, scopes: narrowScopes(app.scopes, params.scope), companyId: row.company_id, userId: row.user_id };
    return respond(deps, claims, await storeRefreshToken(trx, claims));
  });
}

/** `refresh_token`: a new access token for the same company or user; the refresh token stays the same. */
async function refreshGrant(deps: OAuthDeps, app: Application, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
  if (!params.refresh_token) throw new OAuthError('refreshTokenMissing');
  const row = await deps.store.db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hashToken(params.refresh_token)).executeTakeFirst();
  if (!row || row.revoked_at !== null || row.expires_at <= Date.now()) throw new OAuthError('refreshBad');
  if (row.app_id !== app.id) throw new OAuthError('notIssuedToYou');
  const connectedAt = row.principal_type === 'company' ? await connectedSince(deps.store.db, app.id, row.company_id) : null;
  if (row.principal_type === 'company' && connectedAt === null) throw new OAuthError('refreshBad', 'the company is no longer connected to this application');
  const granted = (JSON.parse(row.scopes) as string[]).filter((scope) => app.scopes.includes(scope));
  const claims: TokenClaims = { type: row.principal_type, appId: app.id, scopes: narrowScopes(granted, params.scope), companyId: row.company_id, userId: row.user_id, connectedAt: connectedAt ?? undefined };
  return respond(deps, claims, { token: params.refresh_token, expiresAt: row.expires_at });
}

/** When the company's current connection to the app began, or null when it is not connected. */
export async function connectedSince(db: Executor, appId: string, companyId: string): Promise<number | null> {
  const row = await db.selectFrom('company_connections').select(['connected_at', 'disconnected_at']).where('app_id', '=', appId).where('company_id', '=', companyId).executeTakeFirst();
  return row && row.disconnected_at === null ? row.connected_at : null;
}

/** The Company Request Token tool: a single-use token, valid 24 hours, that connects the company to one app. */
export async function createRequestToken(db: Executor, actor: Principal, companyId: string, appId: string): Promise<{ requestToken: string; appId: string; companyId: string; expiresAt: string }> {
  const app = await getApplication(db, appId);
  if (!app.active) throw new PatchbayError('conflict', `The application ${app.name} is disabled.`, { field: 'appId' });
  if (!app.grants.includes('password')) throw new PatchbayError('conflict', `The application ${app.name} may not use the password grant, so it cannot redeem a request token.`, { field: 'appId' });
  const requestToken = randomUUID();
  const now = Date.now();
  await db.insertInto('request_tokens').values({ token_hash: hashToken(requestToken), company_id: companyId, app_id: appId, created_by: actorLabel(actor), created_at: now, expires_at: now + REQUEST_TOKEN_MS, used_at: null }).execute();
  await recordAudit(db, actor, { companyId, action: 'request_token.created', targetType: 'application', targetId: appId, details: { application: app.name } });
  return { requestToken, appId, companyId, expiresAt: new Date(now + REQUEST_TOKEN_MS).toISOString() };
}

/** Issues a one-time authorization code for a user and an app (used by Launch External URL). */
export async function issueAuthorizationCode(db: Executor, input: { appId: string; userId: string; redirectUri: string }): Promise<string> {
  const code = randomUUID();
  const now = Date.now();
  await db.insertInto('authorization_codes').values({ code_hash: hashToken(code), app_id: input.appId, user_id: input.userId, redirect_uri: input.redirectUri, created_at: now, expires_at: now + AUTHORIZATION_CODE_MS, used_at: null }).execute();
  return code;
}

/** One company connection as the admin API shows it. */
export interface Connection {
  appId: string;
  appName: string;
  connectedAt: string;
  connectedBy: string;
}

/** The applications a company is connected to now. */
export async function listConnections(db: Executor, companyId: string): Promise<Connection[]> {
  const rows = await db
    .selectFrom('company_connections')
    .innerJoin('applications', 'applications.id', 'company_connections.app_id')
    .select(['applications.id', 'applications.name', 'company_connections.connected_at', 'company_connections.connected_by'])
    .where('company_connections.company_id', '=', companyId)
    .where('company_connections.disconnected_at', 'is', null)
    .orderBy('applications.name')
    .execute();
  return rows.map((row) => ({ appId: row.id, appName: row.name, connectedAt: new Date(row.connected_at).toISOString(), connectedBy: row.connected_by }));
}

/** The company ids connected to an application now (ESS fills subscriptions' `companyIds` from these). */
export async function connectedCompanyIds(db: Executor, appId: string): Promise<string[]> {
  const rows = await db.selectFrom('company_connections').select('company_id').where('app_id', '=', appId).where('disconnected_at', 'is', null).execute();
  return rows.map((row) => row.company_id);
}

/** Disconnects a company from an app: its company refresh tokens are revoked and its company access tokens stop working. */
export async function disconnectCompany(db: Executor, actor: Principal, companyId: string, appId: string): Promise<void> {
  const now = Date.now();
  const result = await db.updateTable('company_connections').set({ disconnected_at: now }).where('app_id', '=', appId).where('company_id', '=', companyId).where('disconnected_at', 'is', null).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notFound('A connection of this company to that application');
  await companyDisconnected(db, appId, companyId);
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('app_id', '=', appId).where('company_id', '=', companyId).where('principal_type', '=', 'company').where('revoked_at', 'is', null).execute();
  await recordAudit(db, actor, { companyId, action: 'company.disconnected', targetType: 'application', targetId: appId, details: {} });
}

/** Revokes every refresh token of a user for an app (Concur's `DELETE /app-mgmt/v0/connections`). */
export async function revokeUserGrants(db: Executor, appId: string, userId: string): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: Date.now() }).where('app_id', '=', appId).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
}
