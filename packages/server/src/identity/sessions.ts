/**
 * Console sign-in and the admin API's authentication: session cookies (with a CSRF token for writes)
 * and operator API tokens (`Authorization: Bearer pbt_...`).
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { PatchbayError } from '../http/errors.ts';
import { DECOY_PASSWORD_HASH, verifyPassword } from '../security/passwords.ts';
import { hashToken, newToken } from '../security/tokens.ts';
import { normalizeLoginId } from '../companies/companies.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { toBool, type UserRow } from '../store/schema.ts';
import type { Executor, Store } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import type { Principal, Role } from './principal.ts';

/** The name of the console's session cookie. */
export const SESSION_COOKIE = 'patchbay_session';

/** The header carrying the CSRF token on state-changing requests made with a session cookie. */
export const CSRF_HEADER = 'x-csrf-token';

function toPrincipal(user: UserRow, via: Principal['via'], csrfToken: string | null): Principal {
  return {
    userId: user.id,
    loginId: user.login_id,
    name: user.name,
    companyId: user.company_id,
    isOperator: toBool(user.is_operator),
    roles: JSON.parse(user.roles) as Role[],
    via,
    csrfToken,
  };
}

/** Checks a login and password and opens a session; the same error for an unknown login and a wrong password. */
export async function signIn(store: Store, loginId: string, password: string, ttlHours: number): Promise<{ token: string; principal: Principal; expiresAt: number }> {
  const user = await store.db.selectFrom('users').selectAll().where('login_id', '=', normalizeLoginId(loginId)).executeTakeFirst();
  const matches = await verifyPassword(password, user?.password_hash ?? DECOY_PASSWORD_HASH);
  if (!user || !matches) throw new PatchbayError('invalid_credentials', 'The login ID or password is not correct.');
  const token = newToken('pbs');
  const csrfToken = newToken('csrf');
  const now = Date.now();
  const expiresAt = now + ttlHours * 3_600_000;
  await store.transaction(async (trx) => {
    await trx.deleteFrom('sessions').where('expires_at', '<', now).execute();
    await trx.insertInto('sessions').values({ token_hash: hashToken(token), user_id: user.id, csrf_token: csrfToken, created_at: now, expires_at: expiresAt }).execute();
  });
  return { token, principal: toPrincipal(user, 'session', csrfToken), expiresAt };
}

/** Ends the session of `token` (no error if it is already gone). */
export async function signOut(db: Executor, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

/** Creates an API token for an operator; the token is returned once and stored only as a hash. */
export async function createApiToken(db: Executor, operator: Principal, label: string): Promise<{ id: string; token: string }> {
  if (!operator.isOperator) throw new PatchbayError('permission_denied', 'API tokens are for platform operators.');
  const token = newToken('pbt');
  const id = randomUUID();
  await db.insertInto('api_tokens').values({ id, token_hash: hashToken(token), user_id: operator.userId, label, created_at: Date.now(), last_used_at: null }).execute();
  await recordAudit(db, operator, { companyId: null, action: 'api_token.created', targetType: 'api_token', targetId: id, details: { label } });
  return { id, token };
}

/**
 * The caller of `request`, or a 401. State-changing requests that authenticate with the session
 * cookie must carry the session's CSRF token in `X-CSRF-Token`, so another site cannot make a
 * signed-in browser act.
 */
/** The signed-in user of a session (by the hash of its token), with the session's CSRF token and expiry. */
const sessionUser = prepareQuery<[string], UserRow & { csrf_token: string; expires_at: number }>((db, slot) =>
  db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').selectAll('users').select(['sessions.csrf_token', 'sessions.expires_at']).where('sessions.token_hash', '=', slot(0)),
);

export async function authenticate(db: Executor, request: FastifyRequest): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(pbt_[A-Za-z0-9_-]{20,100})$/.exec(authorization);
    if (!match) throw new PatchbayError('unauthenticated', 'The Authorization header must be "Bearer pbt_..." with an operator API token.');
    const row = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('users')
      .select('api_tokens.id as token_id')
      .where('api_tokens.token_hash', '=', hashToken(match[1]!))
      .executeTakeFirst();
    if (!row) throw new PatchbayError('unauthenticated', 'The API token is not valid.');
    await db.updateTable('api_tokens').set({ last_used_at: Date.now() }).where('id', '=', row.token_id).execute();
    return toPrincipal(row, 'api-token', null);
  }

  const token = request.cookies[SESSION_COOKIE];
  if (!token) throw new PatchbayError('unauthenticated', 'Sign in first: POST /api/session, or send an operator API token.');
  const row = await sessionUser.first(db, [hashToken(token)]);
  if (!row || row.expires_at <= Date.now()) throw new PatchbayError('unauthenticated', 'The session has expired. Sign in again.');
  if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
    const presented = request.headers[CSRF_HEADER];
    if (typeof presented !== 'string' || !sameSecret(presented, row.csrf_token)) {
      throw new PatchbayError('csrf_token_invalid', 'This request needs the X-CSRF-Token header from GET /api/session.');
    }
  }
  return toPrincipal(row, 'session', row.csrf_token);
}

/** Constant-time comparison of two secrets of possibly different lengths. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
